"""Scheduled operations: the reconciliation sweep (no job left behind) and housekeeping."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.clients.kie import KieError
from shared.domain.clock import utcnow
from shared.domain.jobs import ErrorCode, JobState
from shared.services import delivery, generation, payments
from shared.services.enqueue import enqueue_start
from shared.storage import admin as admin_store
from shared.storage.firestore import FREE_USAGE, JOBS, UPDATES
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("operations")
NEVER_STARTED = timedelta(minutes=10)  # confirmed/queued this long: its Cloud Task is lost
ALERT_EVERY = timedelta(hours=1)


async def sweep(c: "Container") -> dict[str, int]:
    """Finish every job stuck past its deadline: ask KIE, then deliver or refund. Safe to run twice at
    once: each move is a transaction that only one run wins."""
    now = utcnow()
    quiet = timedelta(seconds=c.settings.sweep_quiet_s)  # a job that has not moved for this long is ours
    counts = {"checked": 0, "completed": 0, "refunded": 0, "requeued": 0, "failed": 0, "redelivered": 0}
    for job in await admin_store.unfinished_jobs(c.store, now - quiet):
        counts["checked"] += 1
        if job.state in (JobState.CONFIRMED, JobState.QUEUED):
            if now - (job.confirmed_at or job.created_at or now) > NEVER_STARTED:
                if await c.store.move(job.id, JobState.FAILED, error_code=ErrorCode.INTERNAL.value):
                    await delivery.notify(c.bot, job.chat_id, t(job.lang, "not_started", rq=job.request_id))
                    counts["failed"] += 1
            else:  # a fresh task name each minute: Cloud Tasks refuses a recently used name
                await enqueue_start(c, job, suffix=f"sweep-{int(now.timestamp()) // 60}")
                counts["requeued"] += 1
            continue
        record = None
        if job.kie_task_id:
            try:
                record = await c.kie.record_info(job.kie_task_id)
            except KieError as err:
                log.warning("sweep: recordInfo failed: %s", err, extra={"job_id": job.id})
        if record and record.finished:
            await generation.complete(c, job, record)
            counts["completed"] += 1
        elif generation.past_deadline(c, job) or (not job.kie_task_id and _lease_over(job, now, quiet)):
            reason = ErrorCode.TIMEOUT if job.kie_task_id else ErrorCode.PROVIDER_UNAVAILABLE
            await generation.finish_failed(c, job, reason, "finished by the reconciliation sweep")
            counts["refunded"] += 1
    for job in await admin_store.undelivered_jobs(c.store, now - quiet):
        if await generation.redeliver(c, job):
            counts["redelivered"] += 1
    await check_kie_credits(c)
    counts.update(await reconcile_payments(c))
    log.info("sweep: %s", counts)
    return counts


async def reconcile_payments(c: "Container") -> dict[str, int]:
    """The Stars part of the sweep (shared/services/payments.py): credit payments missing from the ledger,
    debit refunds made outside the bot, settle refunds left pending. A failure here is logged and retried
    by the next run; it never undoes the jobs part."""
    try:
        return await payments.sweep_payments(c)
    except Exception:
        log.exception("sweep: Stars reconciliation failed; the next run tries again")
        return {"stars_reconciliation_failed": 1}


def _lease_over(job: Any, now: Any, quiet: timedelta) -> bool:
    return job.lease_until is None or job.lease_until < now - quiet


async def check_kie_credits(c: "Container") -> float | None:
    """Alert admins (at most hourly) when the provider balance runs low."""
    try:
        credits = await c.kie.credits()
    except KieError as err:
        log.warning("credits check failed: %s", err)
        return None
    if credits >= c.settings.kie_low_credits:
        return credits
    state = await c.store.get_setting("kie_alert") or {}
    last = state.get("sent_at")
    if last and utcnow() - last < ALERT_EVERY:
        return credits
    for admin_id in await admin_store.admin_ids_with_chats(c.store, c.settings.admin_ids):
        await delivery.notify(c.bot, admin_id, t("ru", "kie_low", credits=f"{credits:g}",
                                                 limit=f"{c.settings.kie_low_credits:g}"))
    await c.store.set_setting("kie_alert", {"sent_at": utcnow(), "credits": credits})
    return credits


async def housekeeping(c: "Container") -> dict[str, int]:
    """Delete expired short-lived documents (what the TTL policies do in production)."""
    now = utcnow()
    deleted = {name: await admin_store.delete_expired(c.store, name, now) for name in (UPDATES, FREE_USAGE, JOBS)}
    log.info("housekeeping: %s", deleted)
    return deleted
