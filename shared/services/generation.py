"""The generation pipeline: enqueue, charge and submit (worker), poll, complete exactly once."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from telegram.constants import ParseMode
from telegram.error import TelegramError

from shared.clients.kie import KieError, TaskRecord, callback_url
from shared.domain.clock import utcnow
from shared.domain.jobs import (DELIVERY_ATTEMPTS, RETRYABLE, REVIEW_SUBMIT_UNCONFIRMED, REVIEW_UNDELIVERED, ErrorCode,
                                Gate, Job, JobState)
from shared.domain.validation import InvalidInput, build_payload
from shared.logs import mask_user
from shared.domain.chains import chains_for
from shared.services import alerts, delivery
from shared.clients.telegram import markup as keyboard
from shared.ui import results

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
    runtime = await c.runtime()  # maintenance or a model switched off since confirmation: nothing is charged
    gate = Gate(maintenance=runtime["maintenance"], disabled_models=frozenset(runtime["disabled_models"]),
                admins=frozenset(c.settings.admin_ids))
    result = await c.store.jobs.start(job_id, c.settings.free_daily_limit, timedelta(seconds=c.settings.submit_lease_s),
                                 gate)
    job = result.job
    if job is None:
        log.warning("start task for an unknown job %s", job_id)
        return "done"
    if result.status == "busy":
        return "retry"
    if result.status in ("not_pending", "submitted"):
        # 'submitted': createTask may have been sent already; never twice. Its callback or the deadline ends it.
        log.info("duplicate start ignored (%s, state %s)", result.status, job.state, extra=_ctx(job))
        return "done"
    model = c.catalog.get(job.model_id)
    if result.status in ("insufficient_funds", "free_limit", "closed"):
        await tell_ended(c, job)
        await c.store.jobs.record_event(job, "failed", model.category if model else "")
        return "done"
    # The submission is marked: from here on a failure must not stop createTask (a retry of this task would
    # not submit again). The poll comes first: if this instance dies after createTask, the chain finds the job.
    try:
        await c.store.jobs.record_event(job, "started", model.category if model else "")
        await c.queue.enqueue(poll_task_name(job.id, 1), {"kind": "poll", "job_id": job.id, "attempt": 1},
                              delay=timedelta(seconds=c.settings.poll_delays_seconds[0]))
    except Exception:  # the callback and the reconciliation sweep still finish the job
        log.exception("started event or first poll not written", extra=_ctx(job))
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
        if err.code == 504:
            # No answer: the task may exist. Never sent again; its callback (the URL names the job) attaches
            # it, or the deadline refunds it for review (run_poll, the sweep).
            log.warning("createTask outcome unknown: %s", err, extra=_ctx(job))
            return "done"
        await finish_failed(c, job, err.error_code, err.message)
        if err.error_code == ErrorCode.PROVIDER_ACCESS:
            await alerts.provider_access(c, err.code, err.message)
        return "done"
    await c.store.jobs.set_task_id(job.id, task_id)
    log.info("submitted to provider task %s", task_id, extra=_ctx(job))
    await delivery.chat_action(c.bot, job.chat_id, model.output)
    return "done"


async def _create_with_retries(c: "Container", job: Job, payload: dict[str, Any]) -> str:
    callback = callback_url(c.settings.callback_url, c.settings.kie_webhook_hmac_key, job.id)
    for attempt, pause in enumerate((*SUBMIT_RETRY_DELAYS, None)):
        try:
            return await c.kie.create_task(job.model_id, payload, callback)
        except KieError as err:
            # Retried only when KIE said no (429/5xx) or was never reached; an unknown outcome (504) never is.
            if err.error_code not in RETRYABLE or err.code == 504 or pause is None:
                raise
            log.warning("createTask attempt %d failed: %s", attempt + 1, err, extra=_ctx(job))
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def run_poll(c: "Container", job_id: str, attempt: int) -> str:
    """Fallback when no callback arrives: ask the provider, then poll again later or time out."""
    job = await c.store.jobs.get(job_id)
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
        await time_out(c, job, "no result before the deadline")
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


async def time_out(c: "Container", job: Job, message: str) -> Job | None:
    """Refund a job past its deadline. One that began createTask without a task id coming back (a timeout, a
    killed worker) got no callback either: the provider may have run it, so admins are asked to check."""
    unconfirmed = job.submitted_at is not None and not job.kie_task_id
    refunded = await finish_failed(c, job, ErrorCode.TIMEOUT, message,
                                   review=REVIEW_SUBMIT_UNCONFIRMED if unconfirmed else None)
    if refunded is not None and unconfirmed:
        await alerts.review(c, [refunded])
    return refunded


async def complete(c: "Container", job: Job, record: TaskRecord) -> None:
    """Apply a terminal provider state once; only the call that wins the transaction tells the user."""
    if record.state == "success" and record.result_urls:
        won = await c.store.jobs.succeed(job.id, record.result_urls, timedelta(seconds=c.settings.delivery_lease_s))
        if won:
            await _deliver(c, won)
        return
    message = record.fail_msg or ("no result files" if record.state == "success" else "generation failed")
    await finish_failed(c, job, ErrorCode.GENERATION_FAILED, f"{record.fail_code} {message}".strip())


async def redeliver(c: "Container", job: Job) -> bool:
    """Deliver a succeeded job whose earlier delivery was cut short (a killed instance, a long flood wait),
    unless someone else is delivering it right now."""
    claimed = await c.store.jobs.claim_delivery(job.id, timedelta(seconds=c.settings.delivery_lease_s))
    if claimed is None:
        return False
    log.info("delivering again (attempt %d)", claimed.delivery_attempts, extra=_ctx(job))
    await _deliver(c, claimed)
    return True


async def _deliver(c: "Container", job: Job) -> None:
    model = c.catalog.get(job.model_id)
    caption = results.caption(job.lang, job, model)
    enabled = {m.id for m in c.catalog.enabled()}
    actions = keyboard(results.actions(job.lang, job, model, chains_for(model, enabled))) if model else None
    files: list[dict[str, str]] = []
    sent = await delivery.send_result(c.bot, job.chat_id, model.output if model else "image", job.result_urls, caption,
                                      reply_markup=actions, words=delivery.Words(**results.delivery_words(job.lang)), files=files)
    if not sent:  # nothing reached the chat: the sweep tries again (claim_delivery), at most DELIVERY_ATTEMPTS
        await c.store.jobs.set_fields(job.id, delivery_until=None)
        log.warning("result not delivered (attempt %d)", job.delivery_attempts, extra=_ctx(job))
        if job.delivery_attempts >= DELIVERY_ATTEMPTS:
            refunded = await give_up_delivery(c, job)
            if refunded is not None:
                await alerts.review(c, [refunded])
        return
    await c.store.jobs.set_fields(job.id, delivered_at=utcnow(), delivered_message_ids=sent, delivered_files=files,
                                 unsettled=False)
    await _close_status(c, job, results.status_done(job.lang, job, model).text)
    await c.store.jobs.record_event(job, "success", model.category if model else "", _duration_ms(job))
    log.info("delivered %d file(s)", len(job.result_urls), extra=_ctx(job))
    if job.smoke_run:
        from shared.services import smoke

        await smoke.finished(c, job, ok=True)


async def give_up_delivery(c: "Container", job: Job) -> Job | None:
    """The last delivery attempt is over and nothing reached the chat: refund it (never neither), for review."""
    return await finish_failed(c, job, ErrorCode.DELIVERY_FAILED,
                               f"result not delivered after {job.delivery_attempts} attempts",
                               review=REVIEW_UNDELIVERED)


async def finish_failed(c: "Container", job: Job, code: ErrorCode, message: str, *,
                        only_if: Callable[[Job, datetime], bool] | None = None,
                        review: str | None = None) -> Job | None:
    """Refund once and tell the user; None when another call ended the job (or `only_if` no longer holds)."""
    refunded = await c.store.jobs.refund(job.id, code, message, only_if=only_if, review=review)
    if refunded is None:
        return None
    model = c.catalog.get(job.model_id)
    await tell_ended(c, refunded)
    status = "timeout" if code == ErrorCode.TIMEOUT else "failed"
    await c.store.jobs.record_event(refunded, status, model.category if model else "", _duration_ms(refunded))
    if job.smoke_run:
        from shared.services import smoke

        await smoke.finished(c, refunded, ok=False)
    log.warning("refunded: %s %s", code.value, message, extra={**_ctx(job), "error_code": code.value})
    return refunded


async def tell_ended(c: "Container", job: Job) -> bool:
    """Tell the user how the job ended; only once they were told is it settled. A notice lost (a long flood
    wait, a network error) leaves it to the sweep, which sends it again (claim_notice)."""
    balance = 0
    if job.state == JobState.FAILED and job.error_code == ErrorCode.INSUFFICIENT_FUNDS:
        user = await c.store.users.get(job.user_id)
        balance = user.balance_kopecks if user else 0
    text = results.ended(job.lang, job, c.catalog.get(job.model_id), balance, c.settings.free_daily_limit)
    told = text is None or await delivery.notify(c.bot, job.chat_id, text) is not None
    if job.state == JobState.REFUNDED:
        await _close_status(c, job, results.status_failed(job.lang, job, c.catalog.get(job.model_id)).text)
    if told:
        await c.store.jobs.settle(job.id)
    else:
        log.warning("the user was not told how the job ended; the sweep tries again", extra=_ctx(job))
    return told


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
