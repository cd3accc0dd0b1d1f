"""Cold start: a fresh process serving its first request (process start -> HTTP 200), per function target,
against a functions-framework hello-world function measured in the same run. Prints numbers.

    .venv/bin/python bench/cold_start.py [runs] [--also DIR]   # default 5 runs, interleaved

--also DIR: a second checkout (e.g. `git worktree add /tmp/before <commit>`, with the venv links) measured in
the same run, its targets interleaved with this one's, so that both see the same machine and load.

Each run starts every target once, in turn, exactly as infra/stack.py does (`functions-framework --source
main.py --target X`, gunicorn), with the environment of a running local stack (emulators and simulators, no
function processes), and times from Popen to the first 200 answer of a real request: it connects every 5 ms
and sends the request as soon as the port answers. The requests:
  telegram_webhook      a /start Update of a new user, with the secret header (the handler answers through
                        the Telegram simulator: getMe, the bot-commands check, sendMessage; the bench
                        checks the user got the reply, since a failed handler answers 200 too)
  generation_worker     a poll task for an unknown job (one Firestore read; answers 200 "ok")
  kie_callback          an HMAC-signed success callback for an unknown task (one query; answers 200)
  free_tier_refresh, reconciliation_sweep, housekeeping   POST (no OIDC check locally)
  hello                 bench/hello_world.py: `def hello(request): return "ok"`
A second table counts what a fresh webhook instance has imported after serving one /start (infra/inprocess.py:
every module, and those of `shared`), a third times imports alone (`python -c "import ..."`, no stack).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.inprocess import InProcess, set_webhook  # noqa: E402
from infra.stack import (KIE_WEBHOOK_HMAC_KEY, TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, VENV_BIN,  # noqa: E402
                         LocalStack, StackPorts)
from shared.clients.kie import sign  # noqa: E402

LOG_DIR = ROOT / ".local" / "bench-logs"
FF = str(VENV_BIN / "functions-framework")
TARGETS = ["hello", "telegram_webhook", "generation_worker", "kie_callback", "free_tier_refresh",
           "reconciliation_sweep", "housekeeping"]
POLL_S = 0.005
TIMEOUT_S = 120.0

ENV = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s", "KIE_API_KEY": "k",
       "GCP_PROJECT": "p", "WORKER_URL": "http://w/", "CALLBACK_URL": "http://c/"}
SNIPPETS = {
    "functions_framework alone": "import functions_framework",
    "import main": "import main",
    "main + the webhook target": "import main; main.telegram_webhook",
    "main + the worker target": "import main; main.generation_worker",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Requests:
    """A real first request per target; the webhook's is a fresh /start Update the Telegram simulator knows."""

    def __init__(self, stack: LocalStack, sink: InProcess):
        self.stack, self.sink, self.n = stack, sink, 0

    def check(self, target: str) -> None:
        """The webhook's 200 must mean the user got the welcome (a failed handler also answers 200)."""
        if target == "telegram_webhook":
            user_id = 900_000 + self.n
            chat = httpx.get(f"{self.stack.url('telegram')}/sim/chats/{user_id}/messages", timeout=10).json()
            if not any(m["from_bot"] for m in chat["messages"]):
                raise RuntimeError(f"the webhook answered 200 but user {user_id} got no reply")

    def __call__(self, target: str) -> dict:
        """httpx request kwargs for one first request."""
        self.n += 1
        if target == "telegram_webhook":
            # The simulator stores the user's message and delivers the update to the sink; we replay it.
            user_id = 900_000 + self.n
            before = len(self.sink.calls)
            httpx.post(f"{self.stack.url('telegram')}/sim/users/{user_id}/message", json={"text": "/start"},
                       timeout=30).raise_for_status()
            update = self.sink.calls[before].body
            return {"method": "POST", "content": update,
                    "headers": {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token":
                                TELEGRAM_WEBHOOK_SECRET}}
        if target == "generation_worker":
            return {"method": "POST", "json": {"kind": "poll", "job_id": f"bench-unknown-{self.n}", "attempt": 1}}
        if target == "kie_callback":
            task_id, ts = f"bench-unknown-{self.n}", str(int(time.time()))
            body = {"code": 200, "msg": "success", "data": {"taskId": task_id, "state": "success",
                                                            "resultJson": json.dumps({"resultUrls": []})}}
            return {"method": "POST", "json": body,
                    "headers": {"X-Webhook-Timestamp": ts, "X-Webhook-Signature": sign(KIE_WEBHOOK_HMAC_KEY, task_id, ts)}}
        return {"method": "POST"}


def cold_start(target: str, request: dict, env: dict, root: Path = ROOT) -> tuple[float, float]:
    """(ms from Popen to the first 200, ms from Popen to the port accepting); raises unless the answer is 200."""
    port = free_port()
    source = ROOT / "bench/hello_world.py" if target == "hello" else root / "main.py"
    cmd = [FF, "--source", str(source), "--target", target, "--host", "127.0.0.1", "--port", str(port)]
    with open(LOG_DIR / f"cold-{target}.log", "w") as log, httpx.Client(timeout=TIMEOUT_S) as http:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None or time.perf_counter() - started > TIMEOUT_S:
                        raise RuntimeError(f"{target} did not start; see {log.name}") from None
                    time.sleep(POLL_S)
            listening = (time.perf_counter() - started) * 1000
            response = http.request(url=f"http://127.0.0.1:{port}/", **request)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{target}: first answer {response.status_code} {response.text[:200]}")
            return elapsed, listening
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def import_times(root: Path = ROOT, runs: int = 7) -> dict[str, float]:
    out = {}
    for name, code in SNIPPETS.items():
        times = []
        for _ in range(runs):
            res = subprocess.run([sys.executable, "-c", f"import time;t=time.perf_counter();{code};"
                                  "print(time.perf_counter()-t)"], cwd=root, env=ENV, capture_output=True,
                                 text=True, check=True)
            times.append(float(res.stdout.strip().splitlines()[-1]) * 1000)
        out[name] = statistics.median(times)
    return out


def modules_after_start(stack: LocalStack, sink: InProcess, root: Path, user_id: int) -> tuple[int, int]:
    """(modules, `shared` modules) a fresh webhook instance from `root` holds after serving one /start."""
    port = free_port()
    cmd = [sys.executable, "-m", "infra.inprocess", "--port", str(port), "--route", "/webhook=telegram_webhook",
           "--route", "/worker="]
    env = {**os.environ, **stack.env(), "LOG_LEVEL": "WARNING"}
    with open(LOG_DIR / "modules.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(url + "/_calls", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("the instance did not start; see modules.log") from None
                    time.sleep(0.05)
            set_webhook(stack.url("telegram"), TELEGRAM_BOT_TOKEN, url + "/webhook", TELEGRAM_WEBHOOK_SECRET)
            httpx.post(f"{stack.url('telegram')}/sim/users/{user_id}/message", json={"text": "/start"},
                       timeout=30).raise_for_status()
            modules = httpx.get(url + "/_modules", timeout=10).json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            set_webhook(stack.url("telegram"), TELEGRAM_BOT_TOKEN, sink.url + "/hook", TELEGRAM_WEBHOOK_SECRET)
    return len(modules), sum(1 for m in modules if m == "shared" or m.startswith("shared."))


def main(runs: int, roots: list[Path]) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    names = {root: "this" if root == ROOT else root.name for root in roots}
    results: dict[tuple[str, Path], list[float]] = {(t, r): [] for t in TARGETS for r in roots}
    listening: dict[tuple[str, Path], list[float]] = {(t, r): [] for t in TARGETS for r in roots}
    with InProcess({"/hook": None}) as sink, \
            LocalStack(StackPorts.free(), log_dir=".local/bench-logs", with_functions=False) as stack:
        set_webhook(stack.url("telegram"), TELEGRAM_BOT_TOKEN, sink.url + "/hook", TELEGRAM_WEBHOOK_SECRET)
        env = {**os.environ, **stack.env()}
        make = Requests(stack, sink)
        for target in TARGETS:  # one untimed round: the emulators' own first requests (a cold JVM) are not ours
            for root in roots:
                cold_start(target, make(target), env, root)
                make.check(target)
        load_before = os.getloadavg()[0]
        for run in range(runs):
            for target in TARGETS:
                for root in (roots if run % 2 == 0 else roots[::-1]):  # neither goes first every time
                    total, ready = cold_start(target, make(target), env, root)
                    make.check(target)
                    results[target, root].append(total)
                    listening[target, root].append(ready)
            print(f"run {run + 1}/{runs}: " + ", ".join(f"{t}/{names[r]} {results[t, r][-1]:.0f}"
                                                        for t in TARGETS for r in roots), file=sys.stderr, flush=True)
        counts = {root: modules_after_start(stack, sink, root, 990_000 + i) for i, root in enumerate(roots)}
        load_after = os.getloadavg()[0]
    report(runs, roots, names, results, listening, counts, (load_before, load_after))


def report(runs: int, roots: list[Path], names: dict[Path, str], results: dict, listening: dict, counts: dict,
           load: tuple[float, float]) -> None:
    print(f"Cold start: Popen -> first HTTP 200, {runs} runs interleaved (ms); 'listening': median Popen -> port open; "
          f"load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"{'target':22s} {'checkout':>9s} {'median':>7s} {'min':>7s} {'max':>7s} {'x hello':>8s} {'listening':>10s}")
    for target in TARGETS:
        for root in roots:
            values = results[target, root]
            med, base = statistics.median(values), statistics.median(results["hello", root])
            print(f"{target:22s} {names[root]:>9s} {med:7.0f} {min(values):7.0f} {max(values):7.0f} "
                  f"{med / base:8.2f} {statistics.median(listening[target, root]):10.0f}")
    print()
    print("A fresh webhook instance after one /start: modules imported (all / shared.*)")
    for root in roots:
        print(f"{names[root]:42s} {counts[root][0]:6d} {counts[root][1]:6d}")
    for root in roots:
        print()
        print(f"Imports alone, {names[root]} (python -c, median of 7, ms)")
        for name, ms in import_times(root).items():
            print(f"{name:42s} {ms:6.0f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    also = [Path(args[args.index("--also") + 1]).resolve()] if "--also" in args else []
    numbers = [a for i, a in enumerate(args) if a.isdigit() and (i == 0 or args[i - 1] != "--also")]
    main(int(numbers[0]) if numbers else 5, [ROOT, *also])
