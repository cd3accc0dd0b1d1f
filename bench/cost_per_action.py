"""Cost per action: Firestore document reads and writes and Cloud Tasks created per update kind and per
complete generation, counted by the local stack's meter on the Firestore client (infra/metering.py).

The webhook, the worker and the KIE callback run in this process (functions-framework apps on werkzeug
threads) so the meter sees every call they make; everything else is the real local stack: the Firestore
and Cloud Tasks emulators, the Telegram and KIE simulators. Each action is measured on a warm instance
(the free tier and the admin switches are cached, SETTINGS_CACHE_SECONDS=30 as in production); a
generation is measured from the confirm press until its job is delivered and every task it created
has run (the worker's start task, the callback, the delivery, the poll task). Two rows show the cold
case for information: the first update of a new instance, and a button pressed just as the caches expired.

Budgets: a button press (callback query) <= 3 reads and <= 2 writes; a complete paid generation
<= 20 Firestore operations and <= 3 Cloud Tasks. Over budget exits with status 1. --verbose lists every
billed call of every action (function/store method, RPC, documents).

    .venv/bin/python bench/cost_per_action.py [--verbose]
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys
import threading
import time
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.stack import ROOT, LocalStack, StackPorts  # noqa: E402

BUTTON_BUDGET = (3, 2)  # reads, writes
PAID_BUDGET = (20, 3)  # Firestore operations, Cloud Tasks
TARGETS = {"webhook": "telegram_webhook", "worker": "generation_worker", "callback": "kie_callback"}


@dataclass
class Row:
    action: str
    reads: int
    writes: int
    tasks: int
    kind: str  # button | update | paid | free
    ops: list
    checked: bool = True  # False: shown against the budget for information, not failing the run

    def budget(self) -> str:
        if self.kind == "button":
            return f"<= {BUTTON_BUDGET[0]} R, <= {BUTTON_BUDGET[1]} W"
        if self.kind == "paid":
            return f"<= {PAID_BUDGET[0]} ops, <= {PAID_BUDGET[1]} tasks"
        return "-"

    def verdict(self) -> str:
        over = self.over()
        if over is None:
            return "-"
        text = "OVER" if over else "OK"
        return text if self.checked else f"({text}, info)"

    def over(self) -> bool | None:
        if self.kind == "button":
            return self.reads > BUTTON_BUDGET[0] or self.writes > BUTTON_BUDGET[1]
        if self.kind == "paid":
            return self.reads + self.writes > PAID_BUDGET[0] or self.tasks > PAID_BUDGET[1]
        return None


class Served:
    """One functions-framework target on a werkzeug thread; counts requests in flight and names its scope."""

    def __init__(self, name: str, port: int):
        import functions_framework
        from werkzeug.serving import make_server

        self.name = name
        self.active = 0
        self.handled = 0
        self._lock = threading.Lock()
        self._app = functions_framework.create_app(target=TARGETS[name], source=str(ROOT / "main.py"))
        self.server = make_server("127.0.0.1", port, self, threaded=True)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name=f"serve-{name}").start()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        from infra import metering

        with self._lock:
            self.active += 1
        try:
            with metering.scope(self.name):  # the coroutines it runs on the runtime loop inherit the scope
                return list(self._app(environ, start_response))
        finally:
            with self._lock:
                self.active -= 1
                self.handled += 1


def label_store_calls() -> None:
    """Name each store method in the trace (webhook/users.touch, worker/jobs.start, ...): a breakdown only."""
    from infra import metering
    from shared.storage.store import Store

    def scoped(name: str, fn: Callable) -> Callable:
        @wraps(fn)
        async def run(*args: Any, **kwargs: Any) -> Any:
            with metering.scope(name):
                return await fn(*args, **kwargs)

        return run

    probe = Store(None)
    for attribute, aggregate in vars(probe).items():
        if attribute == "db":
            continue
        for name, fn in inspect.getmembers(type(aggregate), inspect.iscoroutinefunction):
            if not name.startswith("_"):
                setattr(type(aggregate), name, scoped(f"{attribute}.{name}", fn))


class Bench:
    def __init__(self, stack: LocalStack, verbose: bool):
        from google.cloud import firestore

        from infra.telegram_sim.client import SimClient
        from shared import runtime
        from shared.bootstrap import container

        self.stack = stack
        self.verbose = verbose
        self.sim = SimClient(stack.url("telegram"))
        self.run = lambda coro: runtime.run(coro, timeout=60)
        self.c = container()
        self.raw = firestore.Client(project=stack.project)  # not metered: for looking, outside the counts
        self.tasks = stack.tasks_client()
        self.served = {name: Served(name, getattr(stack.ports, name)) for name in TARGETS}
        self.rows: list[Row] = []

    # --- driving the chat ---------------------------------------------------------------
    def bot_messages(self, uid: int) -> list[dict]:
        return [r for r in self.sim.messages(uid)["messages"] if r["from_bot"] and not r["deleted"]]

    def send(self, uid: int, text: str) -> None:
        result = self.sim.send_text(uid, text, language_code="ru", first_name="Bench")
        assert result["webhook_status"] == 200, result

    def press(self, uid: int, label: str) -> None:
        for record in reversed(self.bot_messages(uid)):
            markup = record["message"].get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        result = self.sim.press(uid, record["message_id"], button_text=button["text"])
                        assert result["webhook_status"] == 200, result
                        return
        raise AssertionError(f"no button {label!r} for user {uid}")

    # --- measuring -------------------------------------------------------------------------
    def warm(self) -> None:
        """What a warm instance has cached (free tier, admin switches), refreshed outside the count."""
        async def refresh():
            await self.c.free_tier()
            await self.c.runtime()

        self.run(refresh())

    def idle(self, quiet_s: float = 1.0, timeout_s: float = 60.0) -> None:
        """Until nothing is in flight and the task queue is empty, for quiet_s in a row."""
        deadline, since = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            busy = any(s.active for s in self.served.values()) or any(
                list(self.tasks.list_tasks(parent=path, timeout=5))
                for path in (self.stack.queue_path, self.stack.poll_queue_path))
            if busy:
                since = None
            elif since is None:
                since = time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.1)
        raise AssertionError("the stack did not settle")

    def measure(self, action: str, kind: str, act: Callable[[], None], settle: Callable[[], None] | None = None,
                cold: bool = False) -> Row:
        """cold: the instance's caches (free tier, admin switches) have just expired, as once in 30 s."""
        from infra import metering

        self.idle(quiet_s=0.3)
        if cold:
            self.c.forget_cached()
        else:
            self.warm()
        with metering.measure() as used:
            act()
            if settle:
                settle()
        row = Row(action, used.reads, used.writes, used.tasks, kind, used.ops, checked=not cold)
        self.rows.append(row)
        return row

    def job_settled(self, job_id: str) -> Callable[[], None]:
        def wait() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                doc = self.raw.collection("jobs").document(job_id).get().to_dict() or {}
                if doc.get("state") in ("succeeded", "failed", "refunded", "cancelled") and (
                        doc.get("delivered_at") or doc.get("state") != "succeeded"):
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"job {job_id} did not finish: {doc.get('state')}")
            self.idle(quiet_s=1.0)  # the poll task (POLL_DELAYS_SECONDS[0] later) and anything else
            assert doc.get("state") == "succeeded", doc

        return wait

    def draft_of(self, uid: int) -> str:
        from google.cloud import firestore

        query = (self.raw.collection("jobs").where(filter=firestore.FieldFilter("user_id", "==", uid))
                 .where(filter=firestore.FieldFilter("state", "==", "awaiting_input"))
                 .order_by("created_at", direction=firestore.Query.DESCENDING).limit(1))
        return next(iter(query.stream())).id

    # --- the scenario --------------------------------------------------------------------------
    def scenario(self) -> None:
        # The first update of a fresh instance: getMe, the setMyCommands check, the caches filled.
        self.measure("/start (first update of a cold instance)", "update", lambda: self.send(9100, "/start"),
                     cold=True)

        paid, free = 9101, 9102
        self.measure("/start (new user)", "update", lambda: self.send(paid, "/start"))
        self.measure("/start (returning user)", "update", lambda: self.send(paid, "/start"))
        self.run(self.c.store.users.adjust_balance(paid, 100_00, "adjust", f"bench_{paid}_{time.time_ns()}"))
        self.measure("button: catalog category (Изображения)", "button", lambda: self.press(paid, "Изображения"))
        self.measure("button: model card (Imagen 4)", "button", lambda: self.press(paid, "Imagen 4 ·"))
        self.measure("button: back to category, caches expired", "button", lambda: self.press(paid, "Назад"),
                     cold=True)
        self.press(paid, "Imagen 4 ·")
        self.measure("button: start wizard (Создать)", "button", lambda: self.press(paid, "Создать"))
        self.measure("text: prompt", "update", lambda: self.send(paid, "банан в очках"))
        job = self.draft_of(paid)
        self.measure("complete paid generation (confirm -> photo)", "paid", lambda: self.press(paid, "Запустить"),
                     self.job_settled(job))

        self.send(free, "/start")
        self.measure("button: free catalog (Бесплатно)", "button", lambda: self.press(free, "Бесплатно"))
        self.measure("button: model card (Z-Image, free)", "button", lambda: self.press(free, "Z-Image"))
        self.press(free, "Создать")
        self.send(free, "котик в космосе")
        self.measure("button: wizard option (16:9)", "button", lambda: self.press(free, "16:9"))
        job = self.draft_of(free)
        self.measure("complete free generation (confirm -> photo)", "free", lambda: self.press(free, "Запустить"),
                     self.job_settled(job))

    # --- report ---------------------------------------------------------------------------------
    def report(self) -> bool:
        width = max(len(r.action) for r in self.rows)
        print(f"\n{'action':{width}}  {'reads':>5}  {'writes':>6}  {'tasks':>5}  {'budget':24}  verdict")
        print("-" * (width + 58))
        ok = True
        for r in self.rows:
            ok = ok and not (r.checked and r.over())
            print(f"{r.action:{width}}  {r.reads:5d}  {r.writes:6d}  {r.tasks:5d}  {r.budget():24}  {r.verdict()}")
        if self.verbose:
            for r in self.rows:
                print(f"\n{r.action}: {r.reads} R, {r.writes} W, {r.tasks} tasks")
                for op in r.ops:
                    cost = " ".join(f"{n}{u}" for n, u in ((op.reads, "R"), (op.writes, "W"), (op.tasks, "T")) if n)
                    print(f"  {op.scope or '?':34} {op.rpc:20} {cost:6} {', '.join(op.docs)}")
        print("\nall within budget" if ok else "\nOVER BUDGET")
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every billed call of every action")
    args = parser.parse_args()

    # Production's cache time (config default) for the free tier and admin switches; logs: warnings only.
    extra = {"SETTINGS_CACHE_SECONDS": "30", "LOG_LEVEL": "WARNING"}
    stack = LocalStack(StackPorts.free(), with_functions=False, log_dir=".local/bench-logs", extra_env=extra)
    with stack:
        os.environ.update(stack.env())  # before main.py is imported: the functions read it at import
        import logging

        from infra import metering

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines
        label_store_calls()
        bench = Bench(stack, args.verbose)
        stack._register_webhook()  # the simulator delivers updates to the in-process webhook
        with metering.trace():
            bench.scenario()
        ok = bench.report()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
