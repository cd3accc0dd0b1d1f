"""The reconciliation sweep (every 5 minutes): no job left behind, no broadcast stuck, the provider's credits
watched, Stars payments reconciled with Telegram's record."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Awaitable

from shared.app import alerts, deliver, payments, settle
from shared.app.endings import finish_failed, tell_ended
from shared.app.tasks import enqueue_batch, enqueue_start
from shared.ui.admin import notices
from shared.clients.kie import KieError
from shared.domain.clock import utcnow
from shared.domain.jobs import REVIEW_MALFORMED, ErrorCode, Job, JobState, abandoned, delivery_step

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("operations")
NEVER_STARTED = timedelta(minutes=10)  # confirmed this long: its Cloud Task is lost
SWEEP_LIMIT = 200  # jobs per run; settled jobs leave the query, unsettled ones rotate (updated_at)
CREDITS_ALERT_EVERY = timedelta(hours=1)
BROADCAST_STALE = timedelta(minutes=10)  # an active broadcast untouched this long lost its task chain
COUNTS = ("checked", "completed", "refunded", "requeued", "failed", "redelivered", "notified", "flagged", "errors",
          "broadcasts")


async def sweep(c: "Container") -> dict[str, int]:
    """Finish every job that still needs something: start it again or fail it, ask KIE and deliver or refund,
    re-send a result or refund it after the last attempt, tell a user who was not told. Each job on its own:
    one that breaks is logged and counted, the run goes on. Safe to run twice at once: each move is a
    transaction that only one run wins."""
    now = utcnow()
    quiet = timedelta(seconds=c.settings.sweep_quiet_s)  # a job that has not moved for this long is ours
    counts = dict.fromkeys(COUNTS, 0)
    jobs, malformed = await c.store.jobs.unsettled(now - quiet, SWEEP_LIMIT)
    flagged = await _flag_malformed(c, malformed, counts)
    for job in jobs:
        counts["checked"] += 1
        try:
            outcome = await _settle(c, job, now, quiet)
        except Exception:  # one job must never stop the others
            log.exception("sweep: job failed", extra={"job_id": job.id})
            counts["errors"] += 1
            continue
        if isinstance(outcome, Job):  # refunded for review
            flagged.append(outcome)
            outcome = "refunded"
        if outcome:
            counts[outcome] += 1
    counts["flagged"] = len(flagged)
    await _step(counts, alerts.review(c, flagged))
    counts["broadcasts"] = await _step(counts, _resume_broadcasts(c, now)) or 0
    await _step(counts, check_credits(c))
    counts.update(await reconcile_payments(c))
    log.info("sweep: %s", counts)
    return counts


async def _flag_malformed(c: "Container", malformed: list[tuple[str, str]], counts: dict[str, int]) -> list[Job]:
    """Documents that do not parse go to admins (`review`), out of the sweep."""
    flagged = []
    for job_id, error in malformed:
        counts["checked"] += 1
        try:
            await c.store.jobs.flag(job_id, REVIEW_MALFORMED, error)
            flagged.append(Job(id=job_id, user_id=0, chat_id=0, model_id="?", review=REVIEW_MALFORMED))
        except Exception:
            log.exception("sweep: could not flag malformed job %s", job_id)
            counts["errors"] += 1
    return flagged


async def reconcile_payments(c: "Container") -> dict[str, int]:
    """The Stars part of the sweep (shared/app/payments.py): credit payments missing from the ledger,
    debit refunds made outside the bot, settle refunds left pending. A failure here is logged and retried
    by the next run; it never undoes the jobs part."""
    try:
        return await payments.sweep_payments(c)
    except Exception:
        log.exception("sweep: Stars reconciliation failed; the next run tries again")
        return {"stars_reconciliation_failed": 1}


async def _step(counts: dict[str, int], work: Awaitable[Any]) -> Any:
    """One more part of the run, on its own: a failure is logged and counted, the run goes on."""
    try:
        return await work
    except Exception:
        log.exception("sweep: a step failed")
        counts["errors"] += 1
        return None


async def _settle(c: "Container", job: Job, now: datetime, quiet: timedelta) -> str | Job | None:
    """Do what one unsettled job needs; the count it goes to (a Job: refunded and flagged for review)."""
    if job.state == JobState.CONFIRMED:
        if now - (job.confirmed_at or job.created_at or now) > NEVER_STARTED:
            failed = await c.store.jobs.move(job.id, JobState.FAILED, error_code=ErrorCode.INTERNAL.value)
            if failed is not None:
                await tell_ended(c, failed)
                return "failed"
            return None
        # a fresh task name each minute: Cloud Tasks refuses a recently used name
        await enqueue_start(c, job.id, suffix=f"sweep-{int(now.timestamp()) // 60}")
        return "requeued"
    if job.state == JobState.RUNNING:
        return await _settle_running(c, job, now, quiet)
    if job.state == JobState.SUCCEEDED:
        return await _settle_result(c, job, now)
    if job.state in (JobState.FAILED, JobState.REFUNDED):
        claimed = await c.store.jobs.claim_notice(job.id, quiet)
        if claimed is not None and await tell_ended(c, claimed):
            return "notified"
        return None
    await c.store.jobs.settle(job.id)  # cancelled: nothing to do
    return None


async def _settle_result(c: "Container", job: Job, now: datetime) -> str | Job | None:
    step = delivery_step(job, now)
    if step == "deliver":
        return "redelivered" if await deliver.redeliver(c, job) else None
    if step == "give_up":  # the last attempt died with its instance: refund it, never neither
        return await deliver.give_up(c, job)
    if step == "done":  # delivered; only the settle write was lost
        await c.store.jobs.settle(job.id)
    return None


async def _settle_running(c: "Container", job: Job, now: datetime, quiet: timedelta) -> str | Job | None:
    if await settle.ask_provider(c, job) == settle.Asked.COMPLETED:
        return "completed"
    if settle.past_deadline(c, job):
        unconfirmed = job.submitted_at is not None and not job.kie_task_id
        refunded = await settle.time_out(c, job, "finished by the reconciliation sweep", alert=False)
        return (refunded if unconfirmed else "refunded") if refunded is not None else None
    if abandoned(job, now, quiet):
        # The check is repeated on the job as the refund transaction reads it: a retried worker that took the
        # lease since our read keeps the job (and its submission) and no refund happens.
        refunded = await finish_failed(c, job, ErrorCode.PROVIDER_UNAVAILABLE,
                                       "never submitted; finished by the reconciliation sweep",
                                       only_if=lambda fresh, at: abandoned(fresh, at, quiet))
        return "refunded" if refunded is not None else None
    # Still running (or waiting for the callback of an unconfirmed submission): look again later, after the
    # jobs that have waited longer.
    await c.store.jobs.set_fields(job.id)
    return None


async def _resume_broadcasts(c: "Container", now: datetime) -> int:
    """An admin broadcast whose task chain broke (a task dropped after its retries, a lost enqueue) continues
    from its saved cursor: the batch it is at is queued again (take_lease refuses a duplicate)."""
    resumed = 0
    for broadcast_id, doc in await c.store.broadcasts.active():
        if (doc.get("lease_until") and doc["lease_until"] > now) or doc["updated_at"] > now - BROADCAST_STALE:
            continue
        batch_no = doc.get("batch_no") or 1
        await enqueue_batch(c, broadcast_id, batch_no, suffix=f"sweep-{int(now.timestamp()) // 60}")
        log.warning("sweep: broadcast %s resumed at batch %d", broadcast_id, batch_no)
        resumed += 1
    return resumed


async def check_credits(c: "Container") -> float | None:
    """Alert admins (at most hourly) when the provider balance runs low."""
    try:
        credits = await c.kie.credits()
    except KieError as err:
        log.warning("credits check failed: %s", err)
        if err.error_code == ErrorCode.PROVIDER_ACCESS:
            await alerts.provider_access(c, err.code, err.message)
        return None
    if credits >= c.settings.kie_low_credits:
        return credits
    state = await c.store.system.get_setting("kie_alert") or {}
    last = state.get("sent_at")
    if last and utcnow() - last < CREDITS_ALERT_EVERY:
        return credits
    await alerts.tell_admins(c, lambda lang: notices.credits_low(lang, credits, c.settings.kie_low_credits))
    await c.store.system.set_setting("kie_alert", {"sent_at": utcnow(), "credits": credits})
    return credits
