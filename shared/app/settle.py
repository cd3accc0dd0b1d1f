"""Settling a running job with the provider, written once: ask the provider (recordInfo) and, when the task
finished, complete the job exactly once (deliver or refund). The poll tasks, the reconciliation sweep and
the KIE callback all come here; so do their deadlines."""
from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.app import alerts, deliver
from shared.app.endings import finish_failed
from shared.clients.kie import KieError, TaskRecord
from shared.domain.clock import utcnow
from shared.domain.jobs import REVIEW_SUBMIT_UNCONFIRMED, ErrorCode, Job, JobState

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("generation")
MAX_TASK_ID = 256  # KIE task ids are 32 hex digits; a longer one matches no job (and is no Firestore key)


class Asked(StrEnum):
    COMPLETED = "completed"  # the provider had finished it: delivered or refunded (by this call or another)
    PENDING = "pending"  # still running there, or no task id yet
    UNREACHABLE = "unreachable"  # recordInfo failed: the next poll, the sweep or the callback asks again


class Callback(StrEnum):
    """What a callback found (the entry point answers it)."""

    OK = "ok"
    UNKNOWN = "unknown task"
    MISMATCH = "task does not match job"
    UNCONFIRMED = "not confirmed yet"


async def ask_provider(c: "Container", job: Job, task_id: str | None = None) -> Asked:
    """Ask the provider how the job's task stands; complete the job when it finished."""
    task_id = task_id or job.kie_task_id
    if not task_id:
        return Asked.PENDING
    try:
        record = await c.kie.record_info(task_id)
    except KieError as err:
        log.warning("recordInfo failed: %s", err, extra=job.log_context)
        return Asked.UNREACHABLE
    if not record.finished:
        return Asked.PENDING
    await complete(c, job, record)
    return Asked.COMPLETED


async def complete(c: "Container", job: Job, record: TaskRecord) -> None:
    """Apply a terminal provider state once; only the call that wins the transaction tells the user."""
    if record.credits_consumed is not None or record.cost_time is not None:  # our real margin and durations
        await c.store.jobs.set_fields(job.id, credits_consumed=record.credits_consumed, cost_time_ms=record.cost_time)
    if record.state == "success" and record.result_urls:
        won = await c.store.jobs.succeed(job.id, record.result_urls, timedelta(seconds=c.settings.delivery_lease_s))
        if won:
            await deliver.deliver(c, won)
        return
    message = record.fail_msg or ("no result files" if record.state == "success" else "generation failed")
    await finish_failed(c, job, ErrorCode.GENERATION_FAILED, f"{record.fail_code} {message}".strip())


def timeout_of(c: "Container", job: Job) -> timedelta:
    model = c.catalog.get(job.model_id)
    output = model.output if model else "video"
    s = c.settings
    return timedelta(seconds={"image": s.timeout_image_s, "audio": s.timeout_audio_s}.get(output, s.timeout_video_s))


def past_deadline(c: "Container", job: Job) -> bool:
    started = job.started_at or job.confirmed_at or job.created_at
    return started is not None and utcnow() - started >= timeout_of(c, job)


async def time_out(c: "Container", job: Job, message: str, alert: bool = True) -> Job | None:
    """Refund a job past its deadline. One that began createTask without a task id coming back (a timeout, a
    killed worker) got no callback either: the provider may have run it, so admins are asked to check (at
    once, or with the sweep's other flagged jobs when `alert` is False)."""
    unconfirmed = job.submitted_at is not None and not job.kie_task_id
    refunded = await finish_failed(c, job, ErrorCode.TIMEOUT, message,
                                   review=REVIEW_SUBMIT_UNCONFIRMED if unconfirmed else None)
    if refunded is not None and unconfirmed and alert:
        await alerts.review(c, [refunded])
    return refunded


async def on_callback(c: "Container", data: dict[str, Any], signed_job: str | None) -> Callback:
    """A (signed) callback is only a trigger: find its job (by task id, or by the job its URL names, which
    also attaches the task id when the callback beat the worker's own write), then ask the provider."""
    record = TaskRecord.from_data(data)
    if len(record.task_id) > MAX_TASK_ID:
        log.warning("callback with an oversized task id")
        return Callback.UNKNOWN
    job = await c.store.jobs.find_by_task(record.task_id)
    if job is None and signed_job:
        job = await c.store.jobs.get(signed_job)
        if job and job.kie_task_id not in (None, record.task_id):
            return Callback.MISMATCH
        if job and job.state == JobState.RUNNING and not job.kie_task_id:
            await c.store.jobs.set_task_id(job.id, record.task_id)
    if job is None:
        log.warning("callback for unknown task", extra={"task_id": record.task_id})
        return Callback.UNKNOWN
    if job.terminal or not record.finished:
        return Callback.OK
    asked = await ask_provider(c, job, record.task_id)
    return Callback.UNCONFIRMED if asked == Asked.UNREACHABLE else Callback.OK
