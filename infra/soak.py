"""Chaos soak: many simulated users generate, top up and get refunds on the whole local stack while
every fault we know of is injected; then the money and job invariants are checked.

    python -m infra.soak [--jobs 300] [--users 30] [--seed 7]      (./dev soak ... does the same)

Faults: KIE answers createTask with 422/429/455/500/501 or too slowly (our client times out), tasks
fail (501/500) or never finish, callbacks are lost or duplicated; the Telegram simulator answers
429 with retry_after; the harness enqueues duplicate Cloud Tasks, double-taps "confirm" and kills
the worker process (SIGKILL) mid-job. The invariants are read from Firestore and the simulators.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra.stack import ADMIN_IDS, LocalStack, StackPorts
from infra.telegram_sim.client import SimClient

PAID_MODELS = ("google/nano-banana", "grok-imagine/text-to-image", "google/imagen4-ultra")
FREE_MODELS = ("google/imagen4", "google/imagen4-fast")  # in the free tier; prompt-only wizards
ADMIN = int(ADMIN_IDS.split(",")[0])
RQ = re.compile(r"RQ-[0-9A-Fa-f]{8}")
TERMINAL = {"succeeded", "failed", "refunded", "cancelled"}

# Short clocks so faults resolve within seconds (production values are in shared/config.py).
STACK_ENV = {
    "POLL_DELAYS_SECONDS": "1,2,3",
    "TIMEOUT_IMAGE_S": "12",
    "KIE_TIMEOUT_S": "2",
    "SUBMIT_LEASE_S": "10",
    "SWEEP_QUIET_S": "15",  # longer than the task backlog normally gets, or the sweep re-queues live jobs
    "DELIVERY_LEASE_S": "8",
    "FREE_DAILY_LIMIT": "4",
    "START_BONUS_RUB": "30",
    "CONFIRM_ABOVE_RUB": "1000",
}
KIE_CHAOS = {
    "credits": 100_000_000,  # our KIE account running dry is not one of the faults here
    "latency_ms": 300, "fail_rate": 0.07, "task_fail_code": "501", "create_fault_rate": 0.08,
    "create_fault_codes": "422,429,455,500,501", "slow_create_rate": 0.03, "slow_create_ms": 2600,
    "stall_rate": 0.03, "lost_callback_rate": 0.15, "duplicate_callback_rate": 0.15,
}
KIE_CALM = {"fail_rate": 0.0, "create_fault_rate": 0.0, "slow_create_rate": 0.0, "stall_rate": 0.0,
            "lost_callback_rate": 0.0, "duplicate_callback_rate": 0.0}
TG_CHAOS = {"rate_limit_rate": 0.03, "rate_limit_retry_after": 1}
FAULT_KINDS = ("create_422", "create_429", "create_455", "create_500", "create_501", "slow_create", "stall",
               "task_fail_501", "task_fail_500", "lost_callback", "duplicate_callback", "telegram_429",
               "duplicate_task", "worker_kill", "double_confirm")


@dataclass
class Size:
    jobs: int = 300
    users: int = 30
    seed: int = 7
    kill_every_s: float = 15.0
    settle_timeout_s: float = 240.0


@dataclass
class Report:
    size: Size
    elapsed_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    invariants: dict[str, list[str]] = field(default_factory=dict)  # name -> violations

    @property
    def ok(self) -> bool:
        return not any(self.invariants.values())

    def text(self) -> str:
        lines = [f"chaos soak: {self.size.users} users, target {self.size.jobs} jobs, seed {self.size.seed}, "
                 f"{self.elapsed_s:.0f} s", "", "counts:"]
        lines += [f"  {k:28s} {v:6d}" for k, v in self.counts.items()]
        lines += ["", "faults injected:"]
        lines += [f"  {k:28s} {self.faults.get(k, 0):6d}" for k in FAULT_KINDS]
        lines += ["", "invariants:"]
        for name, bad in self.invariants.items():
            lines.append(f"  {'PASS' if not bad else 'FAIL'}  {name}" + (f"  ({len(bad)}: {bad[:3]})" if bad else ""))
        return "\n".join(lines)


class Soak:
    def __init__(self, size: Size, stack: LocalStack):
        self.size = size
        self.stack = stack
        self.sim_url = stack.url("telegram")
        self.kie = httpx.Client(base_url=stack.url("kie"), timeout=10)
        self.lock = threading.Lock()
        self.confirmed: list[str] = []  # job ids the users confirmed
        self.harness = collections.Counter()  # faults and actions of the harness itself
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.db = firestore_client(stack)
        from shared.clients.tasks import TaskQueue

        env = stack.env()
        self.tasks = TaskQueue(env["GCP_PROJECT"], env["TASKS_LOCATION"], env["TASKS_QUEUE"], env["WORKER_URL"],
                               emulator_host=env["TASKS_EMULATOR_HOST"])

    # --- users ---------------------------------------------------------------

    def want_more(self) -> bool:
        with self.lock:
            return len(self.confirmed) < self.size.jobs and not self.stop.is_set()

    def user_loop(self, uid: int) -> None:
        rng = random.Random(self.size.seed * 1_000_003 + uid)
        sim = SimClient(self.sim_url, timeout=60)
        try:
            self.send(sim, uid, "/start")
            self.top_up(sim, uid, rng.choice((100, 300)))
            n = 0
            while self.want_more():
                r = rng.random()
                if r < 0.08:
                    self.top_up(sim, uid, rng.choice((100, 300, 500)))
                    continue
                model = rng.choice(FREE_MODELS) if r < 0.4 else rng.choice(PAID_MODELS)
                n += 1
                self.generate(sim, uid, model, f"soak user {uid} picture {n}", double=rng.random() < 0.05,
                              duplicate_task=rng.random() < 0.08)
        except Exception as err:  # a harness bug must show up in the report, not hang the run
            with self.lock:
                self.errors.append(f"user {uid}: {type(err).__name__}: {err}")
        finally:
            sim.close()

    def send(self, sim: SimClient, uid: int, text: str) -> None:
        sim.send_text(uid, text, first_name=f"Soak{uid}", language_code="ru")

    def top_up(self, sim: SimClient, uid: int, rub: int) -> None:
        self.press_data(sim, uid, f"tu:{rub}")
        invoice = self.newest(sim, uid, lambda m: "invoice" in m["message"])
        if invoice is None:
            self.harness["abandoned_topups"] += 1
            return
        paid = sim.pay(uid, invoice["message_id"])
        self.harness["topups_paid" if (paid.get("payment") or {}) else "topups_refused"] += 1

    def generate(self, sim: SimClient, uid: int, model: str, prompt: str, double: bool, duplicate_task: bool) -> None:
        before = self.last_id(sim, uid)
        self.press_data(sim, uid, f"go:{model}")
        self.send(sim, uid, prompt)
        screen = self.newest(sim, uid, lambda m: any(d.startswith("ok:") for d in self.datas(m)), after=before)
        if screen is None:
            self.harness["abandoned_flows"] += 1
            return
        data = next(d for d in self.datas(screen) if d.startswith("ok:"))
        job_id = data.split(":")[1]  # ok:<job>:<quote digest>
        if double:  # a nervous double tap: two concurrent presses of the same button
            self.harness["double_confirm"] += 1
            other = threading.Thread(target=sim.press, args=(uid, screen["message_id"]), kwargs={"data": data})
            other.start()
            sim.press(uid, screen["message_id"], data=data)
            other.join()
        else:
            sim.press(uid, screen["message_id"], data=data)
        if duplicate_task:
            self.duplicate_start_task(job_id)
        if self.wait_terminal(job_id) == "awaiting_input":  # refused at confirm (funds): no job was made
            self.harness["refused_at_confirm"] += 1
            return
        with self.lock:
            self.confirmed.append(job_id)

    def wait_terminal(self, job_id: str, timeout: float = 25.0) -> str | None:
        """Like a person, wait for the result before the next one (a stuck job is left to the sweep)."""
        ref = self.db.collection("jobs").document(job_id)
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            snap = ref.get()
            state = snap.to_dict().get("state") if snap.exists else None
            if state is None or state in TERMINAL | {"awaiting_input"}:
                break
            time.sleep(0.3)
        return state

    def press_data(self, sim: SimClient, uid: int, data: str) -> None:
        last = self.newest(sim, uid, lambda m: True)
        sim.press(uid, last["message_id"] if last else 1, data=data)

    @staticmethod
    def datas(record: dict[str, Any]) -> list[str]:
        markup = record["message"].get("reply_markup") or {}
        return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]

    @staticmethod
    def last_id(sim: SimClient, uid: int) -> int:
        messages = sim.messages(uid)["messages"]
        return messages[-1]["message_id"] if messages else 0

    @staticmethod
    def newest(sim: SimClient, uid: int, want, after: int = 0, timeout: float = 8.0) -> dict[str, Any] | None:
        """The newest bot message matching `want` (waiting a little: a 429 may delay the bot's reply)."""
        deadline = time.monotonic() + timeout
        while True:
            for record in reversed(sim.messages(uid)["messages"]):
                if record["from_bot"] and not record["deleted"] and record["message_id"] > after and want(record):
                    return record
            if time.monotonic() > deadline:
                return None
            sim.wait(uid, timeout=1.0)

    # --- the harness's own faults ------------------------------------------------

    def duplicate_start_task(self, job_id: str) -> None:
        """The same task name again: the emulator delivers it twice (Cloud Tasks may, too)."""
        from shared import runtime
        from shared.services.enqueue import start_task_name

        runtime.run(self.tasks.enqueue(start_task_name(job_id), {"kind": "start", "job_id": job_id}), timeout=30)
        self.harness["duplicate_task"] += 1

    def killer(self) -> None:
        rng = random.Random(self.size.seed)
        while not self.stop.wait(self.size.kill_every_s * rng.uniform(0.6, 1.4)):
            self.stack.kill_function("worker")
            self.harness["worker_kill"] += 1
            time.sleep(rng.uniform(0.1, 0.8))
            self.stack.start_function("worker")

    def refunder(self) -> None:
        """The admin refunds some Stars payments (refused when the money was already spent)."""
        rng = random.Random(self.size.seed + 1)
        sim = SimClient(self.sim_url, timeout=60)
        self.send(sim, ADMIN, "/start")
        done: set[str] = set()
        while not self.stop.wait(rng.uniform(1.0, 3.0)):
            payments = [p for p in sim.payments() if p["telegram_payment_charge_id"] not in done]
            if payments:
                charge = rng.choice(payments)["telegram_payment_charge_id"]
                done.add(charge)
                self.send(sim, ADMIN, f"/refund {charge}")
                self.harness["refund_requests"] += 1
        sim.close()

    def switcher(self) -> None:
        """Alternate the failure code of finished tasks between 501 and 500, and make sure each createTask
        fault code and each failure code happens at least once (armed one at a time, on top of the random ones)."""
        codes = ("500", "501")
        armed = [int(c) for c in KIE_CHAOS["create_fault_codes"].split(",")]
        i = 0
        while not self.stop.wait(3.0):
            i += 1
            change: dict[str, Any] = {"task_fail_code": codes[i % 2]}
            if armed:
                change.update(create_fault=armed.pop(0), create_fault_count=1)
            self.kie.post("/sim/config", json=change)
            if i <= 2:
                self.kie.post("/sim/outcomes", json={"outcomes": ["fail"]})

    def scheduler(self) -> None:
        """Cloud Scheduler's part: the reconciliation sweep on a short interval."""
        while not self.stop.wait(5.0):
            try:
                self.stack.call_scheduled("sweep")
            except httpx.HTTPError:
                pass  # the worker-side faults can make a sweep fail; the next one runs anyway

    # --- the run -----------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.kie.post("/sim/config", json=KIE_CHAOS).raise_for_status()
        SimClient(self.sim_url).configure(**TG_CHAOS)
        helpers = [threading.Thread(target=f, daemon=True) for f in (self.killer, self.refunder, self.switcher,
                                                                 self.scheduler)]
        users = [threading.Thread(target=self.user_loop, args=(10_000 + i,), daemon=True)
                 for i in range(self.size.users)]
        for thread in helpers + users:
            thread.start()
        for thread in users:
            thread.join()
        self.drain()  # the faults stay on until the worker has taken every confirmed job
        self.stop.set()
        for thread in helpers:
            thread.join()
        if "worker" not in self.stack._procs:
            self.stack.start_function("worker")
        # Faults stop; what is in flight settles through callbacks, polls and the sweep.
        self.kie.post("/sim/config", json=KIE_CALM).raise_for_status()
        SimClient(self.sim_url).configure(rate_limit_rate=0.0)
        settled = self.settle()
        report = Report(self.size, elapsed_s=time.monotonic() - started)
        check(report, self.stack, settled)
        report.faults.update(self.injected())
        report.counts["harness_errors"] = len(self.errors)
        report.invariants["the harness itself ran without errors"] = list(self.errors)
        for key in ("double_confirm", "topups_paid", "topups_refused", "abandoned_flows", "refused_at_confirm",
                    "abandoned_topups",
                    "refund_requests", "worker_kill", "duplicate_task"):
            report.counts.setdefault(key, self.harness.get(key, 0))
        return report

    def drain(self) -> None:
        from google.cloud import firestore

        waiting = self.db.collection("jobs").where(filter=firestore.FieldFilter("state", "in", ["confirmed", "queued"]))
        deadline = time.monotonic() + self.size.settle_timeout_s
        while time.monotonic() < deadline and waiting.count().get()[0][0].value:
            time.sleep(1.0)

    def settle(self) -> bool:
        """Run the reconciliation sweep until every job is terminal and delivered (or time runs out)."""
        deadline = time.monotonic() + self.size.settle_timeout_s
        while time.monotonic() < deadline:
            jobs = read_all(self.stack)["jobs"]
            open_ = [j for j in jobs if j["state"] not in TERMINAL and j["state"] != "awaiting_input"]
            undelivered = [j for j in jobs if j["state"] == "succeeded" and not j.get("delivered_at")]
            if not open_ and not undelivered:
                return True
            time.sleep(2.0)
            self.stack.call_scheduled("sweep")
        return False

    def injected(self) -> dict[str, int]:
        kie = self.kie.get("/sim/config").json().get("injected", {})
        tg = SimClient(self.sim_url).injected()
        faults = {k: v for k, v in kie.items()}
        faults["telegram_429"] = tg.get("429", 0)
        for key in ("duplicate_task", "worker_kill", "double_confirm"):
            faults[key] = self.harness.get(key, 0)
        return faults


# --- reading the outcome ------------------------------------------------------------

def firestore_client(stack: LocalStack) -> Any:
    """A client of the stack's emulator; the process environment is left as it was (the client reads
    FIRESTORE_EMULATOR_HOST only while it is built)."""
    from google.cloud import firestore

    previous = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{stack.ports.firestore}"
    try:
        return firestore.Client(project=stack.project)
    finally:
        if previous is None:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = previous


def read_all(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    db = firestore_client(stack)
    out = {}
    for name in ("users", "ledger", "jobs", "free_usage"):
        out[name] = [{"id": snap.id, **snap.to_dict()} for snap in db.collection(name).stream()]
    db.close()
    return out


def check(report: Report, stack: LocalStack, settled: bool) -> None:
    data = read_all(stack)
    sim = SimClient(stack.url("telegram"))
    users = {u["user_id"]: u for u in data["users"]}
    ledger_by_user: dict[int, int] = collections.Counter()
    entries_by_ref: dict[str, list[dict]] = collections.defaultdict(list)
    for e in data["ledger"]:
        ledger_by_user[e["user_id"]] += e["amount_kopecks"]
        entries_by_ref[e.get("ref") or ""].append(e)
    jobs = [j for j in data["jobs"] if j["state"] != "awaiting_input"]
    jobs_by_rq = {j.get("request_id"): j for j in jobs}
    inv = report.invariants

    inv["settled: every job terminal and every success delivered in time"] = [] if settled else ["timed out"]
    inv["ledger sums to the balance for every user"] = [
        f"user {uid}: balance {u.get('balance_kopecks', 0)} != ledger {ledger_by_user.get(uid, 0)}"
        for uid, u in users.items() if u.get("balance_kopecks", 0) != ledger_by_user.get(uid, 0)]
    inv["no balance is negative"] = [f"user {uid}: {u['balance_kopecks']}" for uid, u in users.items()
                                     if u.get("balance_kopecks", 0) < 0]
    inv["every job is terminal"] = [f"{j['id']}: {j['state']}" for j in jobs if j["state"] not in TERMINAL]

    refunds_bad, success_bad, free_bad = [], [], []
    chats: dict[int, set[int]] = {}
    free_used: dict[tuple[int, str, str], int] = collections.Counter()
    for j in jobs:
        mine = entries_by_ref.get(j["id"], [])
        charges = [e for e in mine if e["kind"] == "charge"]
        refunds = [e for e in mine if e["kind"] == "refund"]
        if j["state"] in ("failed", "refunded", "cancelled"):
            if j.get("charged_kopecks"):
                if len(refunds) != 1 or refunds[0]["amount_kopecks"] != j["charged_kopecks"] or len(charges) != 1:
                    refunds_bad.append(f"{j['id']}: charged {j['charged_kopecks']}, {len(charges)} charge(s), "
                                       f"refunds {[e['amount_kopecks'] for e in refunds]}")
            elif charges or refunds:
                refunds_bad.append(f"{j['id']}: nothing charged but ledger has {len(charges)}c/{len(refunds)}r")
        elif j["state"] == "succeeded":
            want_charge = 0 if j.get("is_free") else j["price_kopecks"]
            got = -sum(e["amount_kopecks"] for e in charges)
            if got != want_charge or len(charges) != (1 if want_charge else 0) or refunds:
                success_bad.append(f"{j['id']}: price {want_charge}, charged {got} in {len(charges)}, "
                                   f"{len(refunds)} refund(s)")
            if not j.get("delivered_at") or not j.get("delivered_message_ids"):
                success_bad.append(f"{j['id']}: not delivered")
            else:
                if j["chat_id"] not in chats:
                    chats[j["chat_id"]] = {m["message_id"]: m for m in sim.messages(j["chat_id"])["messages"]
                                           if m["from_bot"]}
                sent = [chats[j["chat_id"]].get(message_id) for message_id in j["delivered_message_ids"]]
                if None in sent or not any("photo" in m["message"] for m in sent):
                    # (several results come as an album plus a follow-up message with the buttons)
                    success_bad.append(f"{j['id']}: delivered messages {j['delivered_message_ids']} are not "
                                       f"in its chat, or none is a photo")
            if j.get("is_free"):
                free_used[(j["user_id"], j.get("free_day") or "", j["model_id"])] += 1
    for usage in data["free_usage"]:
        for model_id, n in (usage.get("counts") or {}).items():
            if free_used.get((usage["user_id"], usage["day"], model_id), 0) != n:
                free_bad.append(f"{usage['id']} {model_id}: counter {n}, "
                                f"successes {free_used.get((usage['user_id'], usage['day'], model_id), 0)}")
    inv["every failed job refunded exactly once (free use given back)"] = refunds_bad + free_bad
    inv["every success charged exactly once and delivered"] = success_bad

    foreign = []
    for uid in users:
        for m in sim.messages(uid)["messages"]:
            if not m["from_bot"]:
                continue
            text = (m["message"].get("text") or "") + (m["message"].get("caption") or "")
            for code in RQ.findall(text):
                job = jobs_by_rq.get(code)
                if job is not None and job["user_id"] != uid and uid != ADMIN:
                    foreign.append(f"chat {uid} got {code} of user {job['user_id']}")
    inv["no user got a message meant for another"] = foreign

    states = collections.Counter(j["state"] for j in jobs)
    report.counts.update({
        "users": len([u for u in users if u != ADMIN]),
        "jobs": len(jobs),
        "jobs_paid": sum(1 for j in jobs if not j.get("is_free")),
        "jobs_free": sum(1 for j in jobs if j.get("is_free")),
        **{f"state_{k}": v for k, v in sorted(states.items())},
        "charges": sum(1 for e in data["ledger"] if e["kind"] == "charge"),
        "refunds": sum(1 for e in data["ledger"] if e["kind"] == "refund"),
        "payment_refunds": sum(1 for e in data["ledger"] if e["kind"] == "payment_refund"),
        "topups": sum(1 for e in data["ledger"] if e["kind"] == "topup"),
        "deliveries": sum(1 for j in jobs if j.get("delivered_at")),
        "redeliveries": sum(1 for j in jobs if (j.get("delivery_attempts") or 0) > 1),
        "drafts_left": sum(1 for j in data["jobs"] if j["state"] == "awaiting_input"),
    })
    sim.close()


def run(size: Size, log_dir: str = ".local/soak-logs") -> Report:
    env = dict(STACK_ENV)
    if size.users > 30:  # more users, a longer backlog of start tasks behind the emulator's serial dispatch
        env["SWEEP_QUIET_S"] = str(max(15, size.users // 2))
    with LocalStack(StackPorts.free(), extra_env=env, log_dir=log_dir) as stack:
        return Soak(size, stack).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=Size.jobs)
    parser.add_argument("--users", type=int, default=Size.users)
    parser.add_argument("--seed", type=int, default=Size.seed)
    parser.add_argument("--kill-every", type=float, default=Size.kill_every_s, help="seconds between worker kills")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind, so the stack is stopped
    report = run(Size(jobs=args.jobs, users=args.users, seed=args.seed, kill_every_s=args.kill_every))
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
