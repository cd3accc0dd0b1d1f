"""The two job moves that move money, written inside their transactions: the worker's charge at the start
and the refund. Each reads the balance or the day's free uses, asks shared/domain/money.py, and writes
what it decided (ledger entries through apply_entries, free uses, the job)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared.domain.clock import moscow_day
from shared.domain.jobs import ErrorCode, Job, JobState, Started
from shared.domain.money import FREE_LIMIT, charge_entries, decide_charge, decide_refund, refund_entries
from shared.storage.base import FREE_USAGE, LEDGER, USERS
from shared.storage.ledger import apply_entries

FREE_USAGE_TTL = timedelta(days=3)


def _counts(snap: Any) -> dict[str, int]:
    return dict((snap.to_dict() or {}).get("counts", {})) if snap.exists else {}


def fail_in(tx: Any, ref: Any, job: Job, code: ErrorCode, now: datetime) -> Job:
    """Fail a job that was not charged (refused at its start), in transaction `tx`."""
    changes = {"state": JobState.FAILED.value, "error_code": code.value, "finished_at": now, "updated_at": now}
    tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "failed", "at": now, "error": code.value}])})
    return job.model_copy(update=changes)


async def charge_in(tx: Any, db: Any, ref: Any, job: Job, now: datetime, free_limit: int,
                    lease: timedelta) -> tuple[Started, Job]:
    """confirmed -> running, taking the price or one free use (an admin smoke test takes nothing), with the
    submission marker and the lease; or failed with nothing taken when the money or the free uses lack."""
    day = moscow_day(now)
    usage_ref = db.collection(FREE_USAGE).document(f"{job.user_id}_{day}")
    counts: dict[str, int] = {}
    balance = 0
    if job.is_free and not job.smoke_run:
        counts = _counts(await usage_ref.get(transaction=tx))
    elif not job.smoke_run:
        user = await db.collection(USERS).document(str(job.user_id)).get(transaction=tx)
        balance = (user.to_dict() or {}).get("balance_kopecks", 0)
    charge = decide_charge(job.price_kopecks, job.is_free, bool(job.smoke_run), balance,
                           counts.get(job.model_id, 0), free_limit)
    if charge.refused:
        code = ErrorCode.FREE_LIMIT_REACHED if charge.outcome == FREE_LIMIT else ErrorCode.INSUFFICIENT_FUNDS
        return Started(charge.outcome), fail_in(tx, ref, job, code, now)
    free_day = None
    if charge.free_used_after is not None:
        counts[job.model_id] = charge.free_used_after
        tx.set(usage_ref, {"user_id": job.user_id, "day": day, "counts": counts,
                           "updated_at": now, "expire_at": now + FREE_USAGE_TTL})
        free_day = day
    apply_entries(tx, db, charge_entries(charge, job.id, job.user_id, job.request_id, job.model_id),
                  {job.user_id: balance}, now)
    changes = {"state": JobState.RUNNING.value, "charged_kopecks": charge.amount_kopecks, "free_day": free_day,
               "started_at": now, "updated_at": now, "lease_until": now + lease, "submitted_at": now}
    tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "running", "at": now}])})
    return Started.STARTED, job.model_copy(update=changes)


async def refund_in(tx: Any, db: Any, ref: Any, job: Job, code: ErrorCode, message: str, review: str | None,
                    now: datetime) -> Job:
    """running (or succeeded but undeliverable) -> refunded, giving back the money or the free use."""
    usage_ref = db.collection(FREE_USAGE).document(f"{job.user_id}_{job.free_day}")
    balance, used, already = 0, 0, False
    counts: dict[str, int] = {}
    if job.charged_kopecks:
        user = await db.collection(USERS).document(str(job.user_id)).get(transaction=tx)
        already = (await db.collection(LEDGER).document(f"refund_{job.id}").get(transaction=tx)).exists
        balance = (user.to_dict() or {}).get("balance_kopecks", 0)
    elif job.free_day:
        counts = _counts(await usage_ref.get(transaction=tx))
        used = counts.get(job.model_id, 0)
    back = decide_refund(job.charged_kopecks, job.free_day, already, balance, used)
    apply_entries(tx, db, refund_entries(back, job.id, job.user_id, job.request_id, job.model_id, code.value),
                  {job.user_id: balance}, now)
    if back.free_used_after is not None:
        counts[job.model_id] = back.free_used_after
        tx.set(usage_ref, {"counts": counts, "updated_at": now}, merge=True)
    changes = {"state": JobState.REFUNDED.value, "error_code": code.value, "error_message": message[:500],
               "finished_at": now, "updated_at": now, "lease_until": None, "delivery_until": None,
               "unsettled": True, "review": review or job.review}
    tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "refunded", "at": now, "error": code.value}])})
    return job.model_copy(update=changes)
