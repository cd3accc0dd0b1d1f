"""The money and job invariants of the local stack, checked from the outside: what Firestore holds, what the
KIE simulator billed (its ledger) and which Stars payments the Telegram simulator took. Used by the soak
(infra/soak.py) and by end-to-end tests.

    world = read_world(stack)
    problems = money_invariants(world)          # {invariant: [violations]}; empty lists when all hold

Each check returns a list of readable violations. The price rule is the product's own promise, read here
independently of its code (README: "Price = USD × FX_RATE × PRICING_MARKUP, rounded up to a kopeck").
"""
from __future__ import annotations

import collections
import json
import os
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import httpx

CATALOG = Path(__file__).resolve().parents[1] / "shared" / "catalog" / "models.json"
# The provider model a job of ours runs on, read from the catalog's data (Veo 3.1's tiers are one: veo-3-1).
PROVIDER_MODEL = {m["id"]: m.get("kie_model") or m["id"]
                  for m in json.loads(CATALOG.read_text(encoding="utf-8"))["models"]}
DEFAULT_FX_RATE = "95"  # README's defaults, used when the stack does not set them
DEFAULT_MARKUP = "2.0"
TERMINAL = {"succeeded", "failed", "refunded", "cancelled"}
COLLECTIONS = ("users", "ledger", "jobs", "free_usage")

Doc = dict[str, Any]


@dataclass
class World:
    users: list[Doc] = field(default_factory=list)
    ledger: list[Doc] = field(default_factory=list)
    jobs: list[Doc] = field(default_factory=list)  # without the drafts (awaiting_input)
    free_usage: list[Doc] = field(default_factory=list)
    provider: list[Doc] = field(default_factory=list)  # the KIE simulator's ledger: one entry per task
    payments: list[Doc] = field(default_factory=list)  # Stars payments the Telegram simulator took
    fx_rate: Decimal = Decimal(DEFAULT_FX_RATE)
    markup: Decimal = Decimal(DEFAULT_MARKUP)
    drafts: list[Doc] = field(default_factory=list)

    def entries_by_ref(self) -> dict[str, list[Doc]]:
        found: dict[str, list[Doc]] = collections.defaultdict(list)
        for entry in self.ledger:
            found[entry.get("ref") or ""].append(entry)
        return found

    def tasks_by_job(self) -> dict[str, list[Doc]]:
        """Provider tasks per job: the job its callBackUrl names, else the job that stored its task id."""
        owner = {j["kie_task_id"]: j["id"] for j in self.jobs if j.get("kie_task_id")}
        found: dict[str, list[Doc]] = collections.defaultdict(list)
        for task in self.provider:
            job = task.get("job") or owner.get(task["taskId"])
            found[job or ""].append(task)
        return found


# --- reading ----------------------------------------------------------------------------

def firestore_client(stack: Any) -> Any:
    """A client of the stack's emulator itself (never through the fault proxy); the process environment
    is left as it was (the client reads FIRESTORE_EMULATOR_HOST only while it is built)."""
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


def read_firestore(stack: Any) -> dict[str, list[Doc]]:
    db = firestore_client(stack)
    try:
        return {name: [{"id": snap.id, **snap.to_dict()} for snap in db.collection(name).stream()]
                for name in COLLECTIONS}
    finally:
        db.close()


def read_world(stack: Any) -> World:
    data = read_firestore(stack)
    env = stack.env()
    provider = httpx.get(stack.url("kie") + "/sim/ledger", timeout=30).json()["tasks"]
    payments = httpx.get(stack.url("telegram") + "/sim/payments", timeout=30).json()["payments"]
    jobs = [j for j in data["jobs"] if j.get("state") != "awaiting_input"]
    return World(users=data["users"], ledger=data["ledger"], jobs=jobs, free_usage=data["free_usage"],
                 provider=provider, payments=payments,
                 fx_rate=Decimal(env.get("FX_RATE", DEFAULT_FX_RATE)),
                 markup=Decimal(env.get("PRICING_MARKUP", DEFAULT_MARKUP)),
                 drafts=[j for j in data["jobs"] if j.get("state") == "awaiting_input"])


# --- the rule ---------------------------------------------------------------------------

def user_price_kopecks(usd: Decimal | str, fx_rate: Decimal, markup: Decimal) -> int:
    """USD × FX_RATE × PRICING_MARKUP in kopecks, rounded up to a whole kopeck."""
    kopecks = Decimal(usd) * Decimal(fx_rate) * Decimal(markup) * 100
    return int(kopecks.to_integral_value(rounding=ROUND_CEILING))


def charged_kopecks(job: Doc, entries_by_ref: dict[str, list[Doc]]) -> int:
    """What the user's balance paid for a job: its charge entries (refunds not counted)."""
    return -sum(e["amount_kopecks"] for e in entries_by_ref.get(job["id"], []) if e["kind"] == "charge")


def paid_success(job: Doc) -> bool:
    return job["state"] == "succeeded" and not job.get("is_free") and not job.get("smoke_run")


# --- the checks -----------------------------------------------------------------------------

def ledger_matches_balances(w: World) -> list[str]:
    sums: dict[int, int] = collections.Counter()
    for e in w.ledger:
        sums[e["user_id"]] += e["amount_kopecks"]
    return [f"user {u['user_id']}: balance {u.get('balance_kopecks', 0)} != ledger {sums.get(u['user_id'], 0)}"
            for u in w.users if u.get("balance_kopecks", 0) != sums.get(u["user_id"], 0)]


def no_negative_balance(w: World) -> list[str]:
    return [f"user {u['user_id']}: {u['balance_kopecks']}" for u in w.users if u.get("balance_kopecks", 0) < 0]


def every_job_terminal(w: World) -> list[str]:
    return [f"{j['id']}: {j['state']}" for j in w.jobs if j["state"] not in TERMINAL]


def failed_jobs_refunded_once(w: World) -> list[str]:
    """A job that ended without a result has its charge given back exactly once (or charged nothing),
    and a free use counts only for a free success."""
    by_ref, bad = w.entries_by_ref(), []
    free_used: dict[tuple, int] = collections.Counter()
    for j in w.jobs:
        mine = by_ref.get(j["id"], [])
        charges = [e for e in mine if e["kind"] == "charge"]
        refunds = [e for e in mine if e["kind"] == "refund"]
        if j["state"] in ("failed", "refunded", "cancelled"):
            if j.get("charged_kopecks"):
                if len(refunds) != 1 or refunds[0]["amount_kopecks"] != j["charged_kopecks"] or len(charges) != 1:
                    bad.append(f"{j['id']}: charged {j['charged_kopecks']}, {len(charges)} charge(s), "
                               f"refunds {[e['amount_kopecks'] for e in refunds]}")
            elif charges or refunds:
                bad.append(f"{j['id']}: nothing charged but ledger has {len(charges)}c/{len(refunds)}r")
        if j["state"] == "succeeded" and j.get("is_free"):
            free_used[(j["user_id"], j.get("free_day") or "", j["model_id"])] += 1
    for usage in w.free_usage:
        for model_id, n in (usage.get("counts") or {}).items():
            used = free_used.get((usage["user_id"], usage["day"], model_id), 0)
            if used != n:
                bad.append(f"{usage['id']} {model_id}: counter {n}, successes {used}")
    return bad


def successes_charged_once(w: World) -> list[str]:
    by_ref, bad = w.entries_by_ref(), []
    for j in w.jobs:
        if j["state"] != "succeeded":
            continue
        mine = by_ref.get(j["id"], [])
        charges = [e for e in mine if e["kind"] == "charge"]
        refunds = [e for e in mine if e["kind"] == "refund"]
        want = 0 if j.get("is_free") or j.get("smoke_run") else j["price_kopecks"]
        got = -sum(e["amount_kopecks"] for e in charges)
        if got != want or len(charges) != (1 if want else 0) or refunds:
            bad.append(f"{j['id']}: price {want}, charged {got} in {len(charges)}, {len(refunds)} refund(s)")
    return bad


def provider_bill_is_the_price(w: World) -> list[str]:
    """Every paid success: the provider's bill for its task × FX × markup, rounded up to a kopeck, is exactly
    what the user was charged (free, smoke and refunded jobs excepted)."""
    by_ref, tasks, bad = w.entries_by_ref(), {t["taskId"]: t for t in w.provider}, []
    for j in w.jobs:
        if not paid_success(j):
            continue
        task = tasks.get(j.get("kie_task_id") or "")
        charged = charged_kopecks(j, by_ref)
        if task is None:
            bad.append(f"{j['id']} {j['model_id']}: charged {charged} kop, but the provider billed no task "
                       f"{j.get('kie_task_id')!r}")
            continue
        billed = user_price_kopecks(task["priceUsd"], w.fx_rate, w.markup)
        if billed != charged:
            bad.append(f"{j['id']} {j['model_id']}: charged {charged} kop, provider billed {task['priceUsd']} USD "
                       f"({task['basis']}) = {billed} kop")
    return bad


def one_provider_task_per_job(w: World) -> list[str]:
    return [f"{job}: {len(tasks)} provider tasks ({', '.join(t['state'] for t in tasks)})"
            for job, tasks in w.tasks_by_job().items() if job and len(tasks) > 1]


def results_come_from_the_jobs_own_task(w: World) -> list[str]:
    """A success carries the result of a task created for that job and model, nothing else."""
    tasks, bad = {t["taskId"]: t for t in w.provider}, []
    for j in w.jobs:
        if j["state"] != "succeeded" or j.get("smoke_run"):
            continue
        task = tasks.get(j.get("kie_task_id") or "")
        model = PROVIDER_MODEL.get(j["model_id"], j["model_id"])
        if task is None:
            bad.append(f"{j['id']}: succeeded with task {j.get('kie_task_id')!r}, which the provider never ran")
        elif task.get("job") not in (None, j["id"]) or task["model"] != model:
            bad.append(f"{j['id']}: succeeded with task {task['taskId']} of job {task.get('job')} ({task['model']})")
        elif task["state"] != "success":
            bad.append(f"{j['id']}: succeeded although its task ended {task['state']}")
    return bad


def stars_payments_credited_once(w: World) -> list[str]:
    """Every Stars payment Telegram took is credited exactly once, to the payer; no credit without one."""
    by_ref, bad = w.entries_by_ref(), []
    charges = {p["telegram_payment_charge_id"]: p for p in w.payments if p.get("currency") == "XTR"}
    for charge, p in charges.items():
        topups = [e for e in by_ref.get(charge, []) if e["kind"] == "topup"]
        if len(topups) != 1 or topups[0]["user_id"] != p["user_id"] or topups[0]["amount_kopecks"] <= 0:
            bad.append(f"{charge} (user {p['user_id']}, {p['total_amount']} XTR): "
                       f"{[(e['user_id'], e['amount_kopecks']) for e in topups]} top-up credit(s)")
    for e in w.ledger:
        if e["kind"] == "topup" and e.get("ref") not in charges:
            bad.append(f"{e['id']}: a top-up of {e['amount_kopecks']} for a charge Telegram never took")
    return bad


def stars_refunds_debited_once(w: World) -> list[str]:
    """A payment Telegram refunded leaves nobody anything from it (its credit debited once, and whatever
    was derived from it, such as a referral share, reversed); one Telegram did not refund leaves the
    payer's credit whole."""
    by_ref, bad = w.entries_by_ref(), []
    for p in w.payments:
        if p.get("currency") != "XTR":
            continue
        charge, entries = p["telegram_payment_charge_id"], by_ref.get(p["telegram_payment_charge_id"], [])
        net: dict[int, int] = collections.Counter()
        for e in entries:
            net[e["user_id"]] += e["amount_kopecks"]
        credit = sum(e["amount_kopecks"] for e in entries if e["kind"] == "topup" and e["user_id"] == p["user_id"])
        if p.get("refunded"):
            kept = {uid: n for uid, n in net.items() if n}
            if kept:
                bad.append(f"{charge}: Telegram refunded it, but {kept} kop are still credited from it")
        elif net.get(p["user_id"], 0) != credit:
            bad.append(f"{charge}: not refunded by Telegram, yet the payer's credit is "
                       f"{net.get(p['user_id'], 0)} of {credit}")
    return bad


def provider_got_the_users_inputs(w: World, sent: dict[int, set[str]]) -> list[str]:
    """The provider ran each job on exactly the files its confirmation priced (the sha256 we measured and
    stored in the job's media records), and each of them is a file its own user sent (as the test or the
    soak recorded): no input swapped, overwritten by another upload, or taken from someone else. (Which of
    the user's drafts a file belongs to is the bot's to decide: a redelivered update lands in the draft that
    is open when it is handled, and the confirmation shows it.)"""
    tasks, bad = {t["taskId"]: t for t in w.provider}, []
    for j in w.jobs:
        task = tasks.get(j.get("kie_task_id") or "")
        if task is None:
            continue
        priced = sorted(m.get("sha256") or "unmeasured" for files in (j.get("media") or {}).values() for m in files)
        got = sorted(f.get("sha256", "unreadable") for f in task["inputs"]["files"])
        if got != priced:
            bad.append(f"{j['id']} {j['model_id']}: priced {[h[:8] for h in priced]}, "
                       f"the provider got {[h[:8] for h in got]}")
        foreign = sorted(set(got) - sent.get(j["user_id"], set())) if j["user_id"] in sent else []
        if foreign:
            bad.append(f"{j['id']} {j['model_id']}: the provider got {[h[:8] for h in foreign]}, "
                       f"which its user never sent")
    return bad


def charged_a_price_shown(w: World, shown: dict[str, set[int]]) -> list[str]:
    """A paid job costs exactly a price its user saw on the confirm button they pressed (as recorded by
    the test or the soak), never a price they were not shown."""
    by_ref, bad = w.entries_by_ref(), []
    for j in w.jobs:
        prices = shown.get(j["id"])
        charged = charged_kopecks(j, by_ref)
        if prices and charged and charged not in prices:
            bad.append(f"{j['id']} {j['model_id']}: charged {charged} kop, the pressed button showed {sorted(prices)}")
    return bad


MONEY_INVARIANTS = {
    "ledger sums to the balance for every user": ledger_matches_balances,
    "no balance is negative": no_negative_balance,
    "every job is terminal": every_job_terminal,
    "every failed job refunded exactly once (free use given back)": failed_jobs_refunded_once,
    "every success charged exactly once": successes_charged_once,
    "provider bill x FX x markup = the user's charge, for every paid job": provider_bill_is_the_price,
    "at most one provider task per job": one_provider_task_per_job,
    "every result comes from its job's own provider task": results_come_from_the_jobs_own_task,
    "every Stars payment credited exactly once": stars_payments_credited_once,
    "every Stars refund debited exactly once, nothing derived from it kept": stars_refunds_debited_once,
}


def money_invariants(w: World) -> dict[str, list[str]]:
    return {name: check(w) for name, check in MONEY_INVARIANTS.items()}


def provider_facts(w: World) -> dict[str, int]:
    """Counts for a report (not invariants): what the provider billed and for whom."""
    by_job = {j["id"]: j for j in w.jobs}
    tasks_by_job = w.tasks_by_job()
    refunded_paid = sum(1 for job, tasks in tasks_by_job.items()
                        if job in by_job and by_job[job]["state"] != "succeeded"
                        and any(t["state"] != "fail" for t in tasks))
    return {
        "provider_tasks": len(w.provider),
        "provider_tasks_billed": sum(1 for t in w.provider if Decimal(t["billedUsd"]) > 0),
        "provider_billed_for_unsuccessful_jobs": refunded_paid,
        "provider_tasks_without_job": len(tasks_by_job.get("", [])),
    }
