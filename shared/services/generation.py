"""The generation pipeline: enqueue, charge and submit (worker), poll, complete exactly once."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.constants import ParseMode
from telegram.error import TelegramError

from shared.clients.kie import KieError, TaskRecord
from shared.domain.clock import utcnow
from shared.domain.jobs import RETRYABLE, ErrorCode, Job, JobState
from shared.domain.pricing import format_rub
from shared.domain.validation import InvalidInput, build_payload
from shared.logs import mask_user
from shared.domain.chains import chains_for
from shared.services import delivery
from shared.services.keyboards import keyboard
from shared.ui.screens import esc, result_actions
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("generation")
SUBMIT_RETRY_DELAYS = (1.0, 3.0)  # bounded backoff for KIE 429/5xx on createTask


def _ctx(job: Job) -> dict[str, Any]:
    return {"job_id": job.id, "request_id": job.request_id, "user": mask_user(job.user_id), "model_id": job.model_id}


def poll_task_name(job_id: str, attempt: int) -> str:
    return f"{job_id}-poll-{attempt}"


async def run_start(c: "Container", job_id: str) -> str:
    """Worker entry for a new job. Returns 'done' or 'retry' (the task is redelivered later)."""
    result = await c.store.start(job_id, c.settings.free_daily_limit, timedelta(seconds=c.settings.submit_lease_s))
    job = result.job
    if job is None:
        log.warning("start task for an unknown job %s", job_id)
        return "done"
    if result.status == "busy":
        return "retry"
    if result.status == "not_pending":
        log.info("duplicate start ignored (state %s)", job.state, extra=_ctx(job))
        return "done"
    if result.status in ("insufficient_funds", "free_limit"):
        await _tell_not_started(c, job, result.status)
        return "done"
    model = c.catalog.get(job.model_id)
    await c.store.record_event(job, "started", model.category if model else "")
    # Poll first: if this instance dies after createTask, the poll chain still finds the job.
    await c.queue.enqueue(poll_task_name(job.id, 1), {"kind": "poll", "job_id": job.id, "attempt": 1},
                          delay=timedelta(seconds=c.settings.poll_delays_seconds[0]))
    try:
        payload = build_payload(model, job.inputs) if model else None
    except InvalidInput:
        payload = None
    if payload is None:  # validated at confirmation; only a catalog change can get here
        await finish_failed(c, job, ErrorCode.INVALID_INPUT, "inputs no longer valid for the model")
        return "done"
    try:
        task_id = await _create_with_retries(c, job, payload)
    except KieError as err:
        await finish_failed(c, job, err.error_code, err.message)
        return "done"
    await c.store.set_task_id(job.id, task_id)
    log.info("submitted to provider task %s", task_id, extra=_ctx(job))
    await delivery.chat_action(c.bot, job.chat_id, model.output)
    return "done"


async def _create_with_retries(c: "Container", job: Job, payload: dict[str, Any]) -> str:
    callback = f"{c.settings.callback_url}?job={job.id}"
    for attempt, pause in enumerate((*SUBMIT_RETRY_DELAYS, None)):
        try:
            return await c.kie.create_task(job.model_id, payload, callback)
        except KieError as err:
            # A timeout is ambiguous (the task may exist): never submit twice, refund instead.
            if err.error_code not in RETRYABLE or err.code == 504 or pause is None:
                raise
            log.warning("createTask attempt %d failed: %s", attempt + 1, err, extra=_ctx(job))
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def run_poll(c: "Container", job_id: str, attempt: int) -> str:
    """Fallback when no callback arrives: ask the provider, then poll again later or time out."""
    job = await c.store.get_job(job_id)
    if job is None or job.terminal:
        if job and job.state == JobState.SUCCEEDED and not job.delivered_at:
            await redeliver(c, job)
        return "done"
    if job.state != JobState.RUNNING:
        return "done"
    model = c.catalog.get(job.model_id)
    await delivery.chat_action(c.bot, job.chat_id, model.output if model else "image")
    record = None
    if job.kie_task_id:
        try:
            record = await c.kie.record_info(job.kie_task_id)
        except KieError as err:
            log.warning("recordInfo failed: %s", err, extra=_ctx(job))
    if record and record.finished:
        await complete(c, job, record)
        return "done"
    if past_deadline(c, job):
        await finish_failed(c, job, ErrorCode.TIMEOUT, "no result before the deadline")
        return "done"
    delays = c.settings.poll_delays_seconds
    delay = delays[min(attempt, len(delays) - 1)]
    await c.queue.enqueue(poll_task_name(job.id, attempt + 1), {"kind": "poll", "job_id": job.id, "attempt": attempt + 1},
                          delay=timedelta(seconds=delay))
    return "done"


def timeout_of(c: "Container", job: Job) -> timedelta:
    model = c.catalog.get(job.model_id)
    output = model.output if model else "video"
    s = c.settings
    return timedelta(seconds={"image": s.timeout_image_s, "audio": s.timeout_audio_s}.get(output, s.timeout_video_s))


def past_deadline(c: "Container", job: Job) -> bool:
    started = job.started_at or job.confirmed_at or job.created_at
    return started is not None and utcnow() - started >= timeout_of(c, job)


async def complete(c: "Container", job: Job, record: TaskRecord) -> None:
    """Apply a terminal provider state once; only the call that wins the transaction tells the user."""
    if record.state == "success" and record.result_urls:
        won = await c.store.succeed(job.id, record.result_urls, timedelta(seconds=c.settings.delivery_lease_s))
        if won:
            await _deliver(c, won)
        return
    message = record.fail_msg or ("no result files" if record.state == "success" else "generation failed")
    await finish_failed(c, job, ErrorCode.GENERATION_FAILED, f"{record.fail_code} {message}".strip())


async def redeliver(c: "Container", job: Job) -> bool:
    """Deliver a succeeded job whose earlier delivery was cut short (a killed instance, a long flood wait),
    unless someone else is delivering it right now."""
    claimed = await c.store.claim_delivery(job.id, timedelta(seconds=c.settings.delivery_lease_s))
    if claimed is None:
        return False
    log.info("delivering again (attempt %d)", claimed.delivery_attempts, extra=_ctx(job))
    await _deliver(c, claimed)
    return True


async def _deliver(c: "Container", job: Job) -> None:
    model = c.catalog.get(job.model_id)
    name = model.name.get(job.lang) if model else job.model_id
    key = "result_caption_free" if job.is_free else "result_caption"
    caption = t(job.lang, key, name=esc(name), price=format_rub(job.price_kopecks), rq=job.request_id)
    enabled = {m.id for m in c.catalog.enabled()}
    actions = keyboard(result_actions(job.lang, job, model, chains_for(model, enabled))) if model else None
    files: list[dict[str, str]] = []
    sent = await delivery.send_result(c.bot, job.chat_id, model.output if model else "image", job.result_urls, caption,
                                      reply_markup=actions, lang=job.lang, files=files)
    if not sent:  # nothing reached the chat: the sweep tries again (claim_delivery)
        await c.store.set_job_fields(job.id, delivery_until=None)
        log.warning("result not delivered", extra=_ctx(job))
        return
    await c.store.set_job_fields(job.id, delivered_at=utcnow(), delivered_message_ids=sent, delivered_files=files)
    await _close_status(c, job, t(job.lang, "status_done", name=esc(name), rq=job.request_id))
    await c.store.record_event(job, "success", model.category if model else "", _duration_ms(job))
    log.info("delivered %d file(s)", len(job.result_urls), extra=_ctx(job))
    if job.smoke_run:
        from shared.services import smoke

        await smoke.finished(c, job, ok=True)


async def finish_failed(c: "Container", job: Job, code: ErrorCode, message: str) -> None:
    refunded = await c.store.refund(job.id, code, message)
    if refunded is None:
        return
    model = c.catalog.get(job.model_id)
    name = model.name.get(job.lang) if model else job.model_id
    reason = t(job.lang, f"reason_{code.value}")
    if refunded.charged_kopecks:
        text = t(job.lang, "failed_refunded", name=esc(name), reason=reason,
                 amount=format_rub(refunded.charged_kopecks), rq=job.request_id)
    else:
        text = t(job.lang, "failed_free_returned", name=esc(name), reason=reason, rq=job.request_id)
    await delivery.notify(c.bot, job.chat_id, text)
    await _close_status(c, job, t(job.lang, "status_failed", name=esc(name), rq=job.request_id))
    status = "timeout" if code == ErrorCode.TIMEOUT else "failed"
    await c.store.record_event(refunded, status, model.category if model else "", _duration_ms(refunded))
    if job.smoke_run:
        from shared.services import smoke

        await smoke.finished(c, refunded, ok=False)
    log.warning("refunded: %s %s", code.value, message, extra={**_ctx(job), "error_code": code.value})


async def _tell_not_started(c: "Container", job: Job, status: str) -> None:
    if status == "insufficient_funds":
        user = await c.store.get_user(job.user_id)
        text = t(job.lang, "insufficient_funds", price=format_rub(job.price_kopecks),
                 balance=format_rub(user.balance_kopecks if user else 0))
    else:
        text = t(job.lang, "free_limit_reached", limit=c.settings.free_daily_limit)
    await delivery.notify(c.bot, job.chat_id, text)
    model = c.catalog.get(job.model_id)
    await c.store.record_event(job, "failed", model.category if model else "")


async def _close_status(c: "Container", job: Job, text: str) -> None:
    """The one "in progress" message becomes the final line (edited, not a new message)."""
    if not job.status_message_id:
        return
    try:
        await c.bot.edit_message_text(text, chat_id=job.chat_id, message_id=job.status_message_id,
                                      parse_mode=ParseMode.HTML)
    except TelegramError as err:  # cosmetic: the result or the failure notice was already sent
        log.info("status message not edited: %s", err, extra=_ctx(job))


def _duration_ms(job: Job) -> int | None:
    if job.started_at and job.finished_at:
        return int((job.finished_at - job.started_at).total_seconds() * 1000)
    if job.started_at:
        return int((utcnow() - job.started_at).total_seconds() * 1000)
    return None
