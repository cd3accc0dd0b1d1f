"""Jobs from their confirmation on (`jobs/{id}`): the worker's moves, delivery and notice claims, the
sweep's input, and their `generation_events`. Drafts are shared/storage/drafts.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.jobs import (DELIVERY_ATTEMPTS, ErrorCode, Gate, Job, JobState, Started, check_move, delivery_step,
                                refundable)
from shared.storage.base import EVENTS, JOBS, Aggregate, count, eq, first, job_of, page
from shared.storage.job_money import charge_in, fail_in, refund_in

DELIVERY_LEASE = timedelta(minutes=2)  # one delivery attempt's time; then the sweep may try again
NOTICE_ATTEMPTS = 5  # re-sends of a failure notice before the sweep lets it go


@dataclass(frozen=True)
class StartResult:
    """Outcome of the worker's charge transaction."""

    status: Started
    job: Job | None


class Jobs(Aggregate):
    async def get(self, job_id: str) -> Job | None:
        snap = await self.ref(JOBS, job_id).get()
        return job_of(snap) if snap.exists else None

    async def find_by_task(self, kie_task_id: str) -> Job | None:
        snap = await first(self.db.collection(JOBS).where(filter=eq("kie_task_id", kie_task_id)))
        return job_of(snap) if snap else None

    async def by_request_id(self, request_id: str) -> Job | None:
        snap = await first(self.db.collection(JOBS).where(filter=eq("request_id", request_id)))
        return job_of(snap) if snap else None

    async def set_fields(self, job_id: str, **fields: Any) -> None:
        fields["updated_at"] = utcnow()
        await self.ref(JOBS, job_id).update(fields)

    async def set_task_id(self, job_id: str, kie_task_id: str) -> None:
        await self.ref(JOBS, job_id).update({"kie_task_id": kie_task_id, "lease_until": None, "updated_at": utcnow()})

    async def unsubmit(self, job_id: str, attempts: int) -> bool:
        """createTask answered 429: nothing was submitted, so the submission marker and the lease are taken
        back (the charge stays) and a later start task submits it. Only while running without a task id."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> bool:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return False
            job = job_of(snap)
            if job.state != JobState.RUNNING or job.kie_task_id:
                return False
            tx.update(ref, {"submitted_at": None, "lease_until": None, "submit_attempts": attempts,
                            "updated_at": utcnow()})
            return True

        return await run(self.transaction())

    async def settle(self, job_id: str) -> None:
        """The job needs nothing more (the user has the result or knows how it ended): out of the sweep."""
        await self.ref(JOBS, job_id).update({"unsettled": False})

    async def move(self, job_id: str, target: JobState, **fields: Any) -> Job | None:
        """A plain state move without money; None if the job is not in a state that allows it."""
        if target == JobState.REFUNDED:
            return None  # a refund gives something back: only `refund` makes that move
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return None
            job = job_of(snap)
            try:
                check_move(job.state, target)
            except Exception:
                return None
            now = utcnow()
            changes = {"state": target.value, "updated_at": now, **fields}
            if target in (JobState.FAILED, JobState.CANCELLED):
                changes["finished_at"] = now
            tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": target.value, "at": now}])})
            return job.model_copy(update=changes)

        return await run(self.transaction())

    async def start(self, job_id: str, free_limit: int, lease: timedelta, gate: Gate | None = None) -> StartResult:
        """The worker's charge: confirmed -> running, taking the price or one free use (decided by
        `domain.money.decide_charge`), in one transaction that also writes the submission marker
        (`submitted_at`) with the lease: from here on createTask may have been sent, so a redelivered start
        task never submits again (SUBMITTED); the job then waits for its callback (see the sweep).
        A job refused by the admin switches (`gate`) fails with nothing charged (CLOSED)."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> StartResult:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return StartResult(Started.MISSING, None)
            job, now = job_of(snap), utcnow()
            if job.state == JobState.RUNNING and not job.kie_task_id:
                return _resume_in(tx, ref, job, now, lease)
            if job.state != JobState.CONFIRMED:
                return StartResult(Started.NOT_PENDING, job)
            refusal = gate.refusal(job) if gate else None
            if refusal is not None:
                return StartResult(Started.CLOSED, fail_in(tx, ref, job, refusal, now))
            return StartResult(*await charge_in(tx, self.db, ref, job, now, free_limit, lease))

        return await run(self.transaction())

    async def succeed(self, job_id: str, result_urls: list[str],
                      delivery_lease: timedelta = DELIVERY_LEASE) -> Job | None:
        """running -> succeeded once; None when another call already finished the job. The winner also
        takes the delivery lease (see claim_delivery)."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = job_of(await ref.get(transaction=tx))
            if job.state != JobState.RUNNING:
                return None
            now = utcnow()
            changes = {"state": JobState.SUCCEEDED.value, "result_urls": result_urls,
                       "finished_at": now, "updated_at": now, "delivery_until": now + delivery_lease,
                       "delivery_attempts": 1}
            tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "succeeded", "at": now}])})
            return job.model_copy(update=changes)

        return await run(self.transaction())

    async def claim_delivery(self, job_id: str, lease: timedelta = DELIVERY_LEASE,
                             max_attempts: int = DELIVERY_ATTEMPTS) -> Job | None:
        """A succeeded, undelivered job whose last delivery attempt is over: the caller may deliver it now.
        None when it was delivered, someone is delivering it, or it ran out of attempts (see `refund`)."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = job_of(await ref.get(transaction=tx))
            now = utcnow()
            if delivery_step(job, now, max_attempts) != "deliver":
                return None
            changes = {"delivery_until": now + lease, "delivery_attempts": job.delivery_attempts + 1,
                       "updated_at": now}
            tx.update(ref, changes)
            return job.model_copy(update=changes)

        return await run(self.transaction())

    async def refund(self, job_id: str, code: ErrorCode, message: str,
                     only_if: Callable[[Job, datetime], bool] | None = None, review: str | None = None) -> Job | None:
        """running (or succeeded but undeliverable) -> refunded once, giving back the money or the free use
        (decided by `domain.money.decide_refund`) in the same transaction. `only_if` is checked on the job as
        this transaction reads it (the caller's copy may be stale); `review` flags it for admins. The job stays
        `unsettled` until the user has been told (`settle`)."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = job_of(await ref.get(transaction=tx))
            now = utcnow()
            if not refundable(job, now) or (only_if is not None and not only_if(job, now)):
                return None
            return await refund_in(tx, self.db, ref, job, code, message, review, now)

        return await run(self.transaction())

    async def claim_notice(self, job_id: str, quiet: timedelta, max_attempts: int = NOTICE_ATTEMPTS) -> Job | None:
        """An ended job whose user was not told yet (the notice was lost, e.g. to a long flood wait): the caller
        may send it again now. Claimed by moving `updated_at`, so a second sweep leaves it alone; after
        `max_attempts` the job is settled untold (the user blocked the bot, say). None when there is nothing
        to send."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = job_of(await ref.get(transaction=tx))
            now = utcnow()
            if (job.state not in (JobState.FAILED, JobState.REFUNDED) or not job.unsettled
                    or (job.updated_at and job.updated_at > now - quiet)):
                return None
            if job.notice_attempts >= max_attempts:
                tx.update(ref, {"unsettled": False})
                return None
            changes = {"notice_attempts": job.notice_attempts + 1, "updated_at": now}
            tx.update(ref, changes)
            return job.model_copy(update=changes)

        return await run(self.transaction())

    # --- lists ----------------------------------------------------------------
    async def history_page(self, user_id: int, size: int, states: list[str], before: datetime | None = None,
                           after: datetime | None = None) -> list[dict[str, Any]]:
        return await page(self.db, JOBS, user_id, size, before, after, states)

    async def history_count(self, user_id: int, states: list[str]) -> int:
        return await count(self.db, JOBS, user_id, states)

    async def recent_of(self, user_id: int, size: int) -> list[dict[str, Any]]:
        return await page(self.db, JOBS, user_id, size)

    async def unsettled(self, updated_before: datetime, limit: int = 200) -> tuple[list[Job], list[tuple[str, str]]]:
        """The sweep's input: jobs that still need something (`unsettled`) and have not moved since
        `updated_before`, oldest first (index jobs: unsettled, updated_at). Settled jobs never come back here,
        so old ones cannot crowd out fresh ones; the sweep moves `updated_at` of a job it could not settle yet.
        A document that does not parse is returned apart, as (id, error), so it cannot stop the run."""
        query = (self.db.collection(JOBS).where(filter=eq("unsettled", True))
                 .where(filter=firestore.FieldFilter("updated_at", "<", updated_before))
                 .order_by("updated_at").limit(limit))
        jobs, bad = [], []
        async for snap in query.stream():
            try:
                jobs.append(job_of(snap))
            except Exception as err:  # pydantic's ValidationError, a TypeError from a field of another shape
                bad.append((snap.id, f"{type(err).__name__}: {err}"[:300]))
        return jobs, bad

    async def flag(self, job_id: str, review: str, note: str) -> None:
        """Take a job out of the sweep and leave it to admins (`review`, readable in the console)."""
        await self.ref(JOBS, job_id).update({"unsettled": False, "review": review, "review_note": note,
                                            "updated_at": utcnow()})

    # --- events -----------------------------------------------------------------
    async def record_event(self, job: Job, status: str, category: str, duration_ms: int | None = None) -> None:
        """One event per job and status (the id makes a retry overwrite, not duplicate)."""
        await self.ref(EVENTS, f"{job.id}_{status}").set({
            "created_at": utcnow(), "user_id": job.user_id, "chat_id": job.chat_id, "model_id": job.model_id,
            "category": category, "status": status, "is_free_applied": job.is_free,
            "price_kopecks": job.price_kopecks, "price_rub": f"{job.price_kopecks // 100}.{job.price_kopecks % 100:02d}",
            "request_id": job.request_id, "task_id": job.kie_task_id, "job_id": job.id,
            "error_code": job.error_code, "error_message": job.error_message, "duration_ms": duration_ms,
        })

    async def events_of(self, job_id: str) -> list[dict[str, Any]]:
        rows = [snap.to_dict() async for snap in self.db.collection(EVENTS).where(filter=eq("job_id", job_id)).stream()]
        return sorted(rows, key=lambda e: e["created_at"])


def _resume_in(tx: Any, ref: Any, job: Job, now: datetime, lease: timedelta) -> StartResult:
    """A running job without a task id, met by a start task again: wait for the worker holding the lease;
    never submit twice once marked; else (charged by a worker that died before it marked a submission, an
    older version) take the lease and submit."""
    if job.lease_until and job.lease_until > now:
        return StartResult(Started.BUSY, job)
    if job.submitted_at is not None:
        return StartResult(Started.SUBMITTED, job)
    changes = {"lease_until": now + lease, "submitted_at": now, "updated_at": now}
    tx.update(ref, changes)
    return StartResult(Started.STARTED, job.model_copy(update=changes))
