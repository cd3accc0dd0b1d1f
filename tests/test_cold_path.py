"""The webhook path must not import what only the worker, the admin panel or the charts need; and it holds by
structure: registering the routes imports no feature (shared/telegram/routes.py), each is imported by its
first update.

A fresh process (a new instance) serves a target in-process (infra/inprocess.py) on the stack's emulators;
the Telegram simulator delivers to it while this test plays the user; then the process reports sys.modules.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from infra.inprocess import set_webhook
from infra.stack import ROOT, TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.helpers import TgUser

USER, ADMIN = 7101, 1001  # ADMIN_IDS of the local stack is "1001"
# Only the worker (and the callback, the sweep, the smoke test) needs these.
WORKER_ONLY = ("shared.app.generation", "shared.app.settle", "shared.clients.delivery", "shared.clients.kie",
               "shared.app.sweep", "shared.app.smoke")
# Only the admin panel: its handlers, screens, statistics, chart, broadcasts.
ADMIN_ONLY = ("shared.telegram.admin", "shared.app.admin", "shared.app.broadcast", "shared.ui.admin.panel",
              "shared.ui.admin.lookup", "shared.ui.admin.stats", "shared.ui.admin.chart")
# What every routed update passes; the features (menu, catalog, wizard, ...) load one by one as they are used.
WEBHOOK_CORE = ("shared.telegram", "shared.telegram.webhook", "shared.telegram.routes", "shared.telegram.middleware",
                "shared.telegram.reply", "shared.telegram.updates")
# Media libraries: only a media input (measured by decoding it), a big result image or the chart load them.
MEDIA = ("PIL", "av", "matplotlib")


def loaded(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


class Instance:
    """`python -m infra.inprocess` in a fresh process with the stack's environment."""

    def __init__(self, stack, log_path, **routes: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, **stack.env(), "WORKER_URL": self.url + "/worker", "CALLBACK_URL": self.url + "/callback",
               "LOG_LEVEL": "WARNING"}
        cmd = [sys.executable, "-m", "infra.inprocess", "--port", str(port)]
        for path, target in routes.items():
            cmd += ["--route", f"/{path}={target}"]
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, f"the instance exited; see {log_path}"
            try:
                httpx.get(self.url + "/_calls", timeout=1)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline, f"the instance did not start; see {log_path}"
                time.sleep(0.05)

    def modules(self) -> list[str]:
        return httpx.get(self.url + "/_modules", timeout=10).json()

    def calls(self, path: str) -> list[dict]:
        return [c for c in httpx.get(self.url + "/_calls", timeout=10).json() if c["path"] == path]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.log.close()


def wait_calls(instance: Instance, path: str, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while not (calls := instance.calls(path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return calls


@pytest.fixture
def instance(clean_stack, tmp_path):
    started = []

    def start(**routes):
        started.append(Instance(clean_stack, tmp_path / f"instance{len(started)}.log", **routes))
        return started[-1]

    yield start
    for inst in started:
        inst.stop()
    set_webhook(clean_stack.url("telegram"), TELEGRAM_BOT_TOKEN, clean_stack.webhook_url, TELEGRAM_WEBHOOK_SECRET)


def test_webhook_and_worker_paths_import_only_what_they_use(clean_stack, instance):
    tg = clean_stack.url("telegram")
    webhook = instance(webhook="telegram_webhook", worker="")  # the worker is a sink: keep the task, run nothing
    set_webhook(tg, TELEGRAM_BOT_TOKEN, webhook.url + "/webhook", TELEGRAM_WEBHOOK_SECRET)
    user = TgUser(tg, USER)

    user.send("/start")
    assert "AI Studio" in user.last_text()
    features = [m for m in loaded(webhook.modules(), ("shared.telegram",)) if m not in WEBHOOK_CORE]
    assert features == ["shared.telegram.menu"], "registration imports no feature; /start loads only the menu"
    user.press("Изображения")  # a catalog page
    user.press_data("m:z-image")  # a model card
    assert "Z-Image" in user.last_text()
    user.press_data("go:z-image")  # the wizard asks for the prompt
    user.send("a red fox in the snow")  # prompt text
    user.press("1:1")
    user.press("Запустить")  # confirm: job document + Cloud Task
    user.send("/admin")  # a non-admin: the usual unknown-command reply, the panel stays unloaded
    modules = webhook.modules()
    assert "shared.telegram.wizard" in modules and "telegram.ext" in modules  # it did handle the updates
    assert loaded(modules, WORKER_ONLY) == []
    assert loaded(modules, ADMIN_ONLY) == []
    assert loaded(modules, MEDIA) == []

    tasks = wait_calls(webhook, "/worker")  # the Cloud Tasks emulator dispatches one task at a time
    assert len(tasks) == 1 and '"kind": "start"' in tasks[0]["body"], tasks

    admin = TgUser(tg, ADMIN)
    admin.send("/admin")  # an admin: now the panel is imported, still not the charts
    assert "adm:" in str(admin.last()["message"].get("reply_markup"))
    modules = webhook.modules()
    assert "shared.telegram.admin.panel" in modules
    assert loaded(modules, ("shared.ui.admin.chart", "shared.telegram.admin.stats", "shared.app.broadcast",
                            *MEDIA)) == []

    # A media input is measured by decoding it: a photo loads Pillow, a voice message PyAV, on that path only.
    user.press_data("go:kling/ai-avatar-standard")
    user.send("say hello")
    user.sim.send_photo(user.id)
    modules = webhook.modules()
    assert "PIL" in modules and loaded(modules, ("av",)) == []
    user.sim.send_file(user.id, "voice", duration=2)
    assert "Проверьте заказ" in user.last_text()
    modules = webhook.modules()
    assert "av" in modules and "PIL" in modules
    assert loaded(modules, ("shared.ui.admin.chart", "shared.app.broadcast", "matplotlib")) == []

    # The worker path, in a fresh process of its own: start -> KIE -> callback -> delivery of the photo.
    worker = instance(worker="generation_worker", callback="kie_callback")
    assert httpx.post(worker.url + "/worker", content=tasks[0]["body"], timeout=60,
                      headers={"Content-Type": "application/json"}).status_code == 200
    user.wait_for(lambda r: "photo" in r["message"])
    assert any(c["status"] == 200 for c in worker.calls("/callback"))
    modules = worker.modules()
    assert "shared.app.generation" in modules and "shared.clients.delivery" in modules
    assert loaded(modules, ADMIN_ONLY) == []
    assert loaded(modules, MEDIA) == []
    assert loaded(modules, ("shared.telegram", "telegram.ext")) == []  # no handlers in the worker
