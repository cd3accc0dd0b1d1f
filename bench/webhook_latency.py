"""Webhook latency: in-process handling time per update kind, against the Firestore emulator and the
Telegram simulator. Prints numbers.

    .venv/bin/python bench/webhook_latency.py [rounds]       # default 50 rounds after one warm-up round

The telegram_webhook target runs inside this process (functions-framework's Flask app, called through its
test client: infra/inprocess.py); the Telegram simulator delivers real updates to it, and each call is timed
in-process, without the HTTP hop. A timing covers everything the function does for the update: the secret
check, the update_id dedupe write, the handler's Firestore reads and writes, its Bot API calls to the
simulator, and for a confirm the Cloud Task in the emulator. The worker URL is a sink in this process that
answers 200, so a confirm really creates its task and nothing generates (the worker is not measured here).

A round is a new user's whole path to a free generation (z-image: a prompt and one option):
/start, a catalog page, the model card, the wizard's first step, the prompt text, the option, confirm.
Round 0 warms up and is not counted; its first update (the instance's first: Firestore and Bot API
clients, getMe, setMyCommands) is reported on its own, with the time to import main and build the app.
Before that, another process (`python -m infra.inprocess`) runs one round, so that the emulators' own
first requests (a cold JVM) are not counted as ours.
"""
from __future__ import annotations

import math
import os
import statistics
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.inprocess import InProcess, set_webhook  # noqa: E402
from infra.stack import TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, LocalStack, StackPorts  # noqa: E402
from infra.telegram_sim.client import SimClient  # noqa: E402

KINDS = ["/start", "catalog page", "model card", "wizard start", "prompt text", "option", "confirm"]
MODEL = "z-image"  # free: a prompt, then the aspect ratio


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


class Round:
    def __init__(self, sim: SimClient, served: InProcess | None, user_id: int):
        self.sim, self.served, self.user_id = sim, served, user_id
        self.timings: dict[str, float] = {}

    def _timed(self, kind: str, result: dict) -> None:
        if result.get("webhook_status") != 200:
            raise RuntimeError(f"{kind}: webhook answered {result.get('webhook_status')}: {result}")
        if self.served is not None:  # None: the warm-up instance in another process
            self.timings[kind] = self.served.last("/webhook").ms

    def _last_bot(self) -> dict:
        return [m for m in self.sim.messages(self.user_id)["messages"] if m["from_bot"]][-1]

    def _button(self, prefix: str) -> tuple[int, str]:
        record = self._last_bot()
        rows = (record["message"].get("reply_markup") or {}).get("inline_keyboard", [])
        data = next((b["callback_data"] for row in rows for b in row if b.get("callback_data", "").startswith(prefix)),
                    None)
        if data is None:
            raise RuntimeError(f"no {prefix!r} button on: {record['message'].get('text', '')[:200]!r}")
        return record["message_id"], data

    def press(self, kind: str, prefix: str) -> None:
        message_id, data = self._button(prefix)
        self._timed(kind, self.sim.press(self.user_id, message_id, data=data))

    def run(self) -> dict[str, float]:
        self._timed("/start", self.sim.send_text(self.user_id, "/start"))
        self.press("catalog page", "cat:image:")
        message_id = self._last_bot()["message_id"]
        self._timed("model card", self.sim.press(self.user_id, message_id, data=f"m:{MODEL}"))
        self.press("wizard start", f"go:{MODEL}")
        self._timed("prompt text", self.sim.send_text(self.user_id, "a lighthouse at dawn, watercolor"))
        self.press("option", "set:")
        self.press("confirm", "ok:")
        if "RQ-" not in self._last_bot()["message"].get("text", ""):
            raise RuntimeError(f"confirm did not start the job: {self._last_bot()['message'].get('text')!r}")
        return self.timings


def warm_emulators(stack: LocalStack, sim: SimClient) -> None:
    """One round through a webhook in another process: the emulators and the simulator serve each kind once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "infra.inprocess", "--port", str(port), "--route", "/webhook=telegram_webhook",
           "--route", "/worker="]
    env = {**os.environ, **stack.env(), "WORKER_URL": url + "/worker"}
    with open(stack.log_path("warmup"), "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the warm-up instance did not start; see {stack.log_path('warmup')}") from None
                time.sleep(0.05)
        set_webhook(stack.url("telegram"), TELEGRAM_BOT_TOKEN, url + "/webhook", TELEGRAM_WEBHOOK_SECRET)
        Round(sim, None, 29_999).run()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(rounds: int) -> None:
    with InProcess({"/webhook": "telegram_webhook", "/worker": None}) as served, \
            LocalStack(StackPorts.free(), log_dir=".local/bench-logs", with_functions=False,
                       extra_env={"WORKER_URL": served.url + "/worker", "LOG_LEVEL": "WARNING"}) as stack:
        sim = SimClient(stack.url("telegram"))
        warm_emulators(stack, sim)
        os.environ.update(stack.env())  # read once, when main is imported below
        set_webhook(stack.url("telegram"), TELEGRAM_BOT_TOKEN, served.url + "/webhook", TELEGRAM_WEBHOOK_SECRET)
        started = time.perf_counter()
        served.app("telegram_webhook")
        create_ms = (time.perf_counter() - started) * 1000
        warm = Round(sim, served, 30_000).run()
        timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for i in range(1, rounds + 1):
            for kind, ms in Round(sim, served, 30_000 + i).run().items():
                timings[kind].append(ms)
        deadline = time.monotonic() + 10
        while len([c for c in served.calls if c.path == "/worker"]) < rounds + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        tasks = len([c for c in served.calls if c.path == "/worker"])
    load = os.getloadavg()
    print(f"Webhook latency, in-process, {rounds} rounds (ms); Cloud Tasks dispatched {tasks} start tasks "
          f"for {rounds + 1} confirms; load average at the end {load[0]:.1f}")
    print(f"{'kind':14s} {'n':>4s} {'p50':>6s} {'p95':>6s} {'p99':>6s} {'max':>6s}")
    for kind in KINDS:
        v = timings[kind]
        print(f"{kind:14s} {len(v):4d} {statistics.median(v):6.1f} {pct(v, 0.95):6.1f} {pct(v, 0.99):6.1f} {max(v):6.1f}")
    allv = [ms for v in timings.values() for ms in v]
    print(f"{'all kinds':14s} {len(allv):4d} {statistics.median(allv):6.1f} {pct(allv, 0.95):6.1f} "
          f"{pct(allv, 0.99):6.1f} {max(allv):6.1f}")
    print()
    print("Cold in-process (this process had already loaded flask, httpx, grpc and the Cloud Tasks client for the "
          "harness, so a fresh instance pays more: bench/cold_start.py)")
    print(f"import main + create_app {create_ms:.0f} ms; the instance's first update (/start) "
          f"{warm['/start']:.0f} ms; rest of the warm-up round: "
          + ", ".join(f"{k} {warm[k]:.0f}" for k in KINDS[1:]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
