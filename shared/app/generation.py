"""The worker's generations: a confirmed job is charged and submitted to the provider (start), and polled
when no callback arrives (poll). Each returns what the worker answers Cloud Tasks."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.app import alerts, deliver, settle, waiting
from shared.app.endings import finish_failed, finished, tell_ended
from shared.app.tasks import Outcome, enqueue_poll, enqueue_start
from shared.clients import telegram
from shared.clients.kie import KieError, callback_url
from shared.domain.jobs import RETRYABLE, ErrorCode, Gate, Job, JobState, Started
from shared.domain.validation import InvalidInput, build_payload

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("generation")
SUBMIT_RETRY_DELAYS = (1.0, 3.0)  # bounded backoff for KIE 429/5xx on createTask


async def start(c: "Container", job_id: str) -> Outcome:
    """Charge a confirmed job and submit it; RETRY while another worker holds its submission."""
    runtime = await c.runtime()  # maintenance or a model switched off since confirmation: nothing is charged
    hidden = set(runtime["disabled_models"]) | set(runtime.get("delisted_models", {}))  # a delisted model can only fail
    gate = Gate(maintenance=runtime["maintenance"], disabled_models=frozenset(hidden),
                admins=frozenset(c.settings.admin_ids))
    result = await c.store.jobs.start(job_id, c.settings.free_daily_limit,
                                      timedelta(seconds=c.settings.submit_lease_s), gate)
    job = result.job
    if job is None:
        log.warning("start task for an unknown job %s", job_id)
        return Outcome.DONE
    if result.status == Started.BUSY:
        return Outcome.RETRY
    if result.status in (Started.NOT_PENDING, Started.SUBMITTED):
        # SUBMITTED: createTask may have been sent already; never twice. Its callback or the deadline ends it.
        log.info("duplicate start ignored (%s, state %s)", result.status, job.state, extra=job.log_context)
        return Outcome.DONE
    if result.status.ended:
        await tell_ended(c, job)
        await finished(c, job, "failed")
        return Outcome.DONE
    await submit(c, job)
    return Outcome.DONE


async def submit(c: "Container", job: Job) -> None:
    """createTask. The submission is marked: from here on a failure must not stop it (a retry of the start
    task would not submit again). The first poll comes first: if this instance dies after createTask, the
    poll chain finds the job."""
    model = c.catalog.get(job.model_id)
    try:
        await c.store.jobs.record_event(job, "started", model.category if model else "")
        await enqueue_poll(c, job.id, 1, timedelta(seconds=c.settings.poll_delays_seconds[0]))
    except Exception:  # the callback and the reconciliation sweep still finish the job
        log.exception("started event or first poll not written", extra=job.log_context)
    try:
        payload = build_payload(model, job.inputs) if model else None
    except InvalidInput:
        payload = None
    if payload is None:  # validated at confirmation; only a catalog change can get here
        await finish_failed(c, job, ErrorCode.INVALID_INPUT, "inputs no longer valid for the model")
        return
    try:
        task_id = await _create_with_retries(c, job, payload)
    except KieError as err:
        if err.code == 429 and await _start_later(c, job):
            return
        if err.code == 504:
            # No answer: the task may exist. Never sent again; its callback (the URL names the job) attaches
            # it, or the deadline refunds it for review (poll, the sweep).
            log.warning("createTask outcome unknown: %s", err, extra=job.log_context)
            return
        await finish_failed(c, job, err.error_code, err.message)
        if err.error_code == ErrorCode.PROVIDER_ACCESS:
            await alerts.provider_access(c, err.code, err.message)
        return
    await c.store.jobs.set_task_id(job.id, task_id)
    log.info("submitted to provider task %s", task_id, extra=job.log_context)
    await telegram.chat_action(c.bot, job.chat_id, model.output)
    try:
        await waiting.first_tick(c, job.id)  # the status message's elapsed/expected time (cosmetic)
    except Exception:
        log.exception("status tick not queued", extra=job.log_context)


async def _start_later(c: "Container", job: Job) -> bool:
    """createTask answered 429, so nothing was submitted: give the submission back and start the job again
    at least SUBMIT_429_DELAY_S later, charged once (the charge stays). False past the last attempt."""
    attempts = job.submit_attempts + 1
    if attempts > c.settings.submit_429_attempts or not await c.store.jobs.unsubmit(job.id, attempts):
        return False
    await enqueue_start(c, job.id, suffix=f"r{attempts}", delay=timedelta(seconds=c.settings.submit_429_delay_s))
    log.warning("createTask rate limited: start %d again in %d s", attempts, c.settings.submit_429_delay_s,
                extra=job.log_context)
    return True


async def _create_with_retries(c: "Container", job: Job, payload: dict[str, Any]) -> str:
    callback = callback_url(c.settings.callback_url, c.settings.kie_webhook_hmac_key, job.id)
    model = c.catalog.get(job.model_id)  # several of our models can be one provider model (Veo 3.1's tiers)
    for attempt, pause in enumerate((*SUBMIT_RETRY_DELAYS, None)):
        try:
            return await c.kie.create_task(model.provider_model if model else job.model_id, payload, callback)
        except KieError as err:
            # Retried only when KIE said no (429/5xx) or was never reached; an unknown outcome (504) never is.
            # A 429 is not retried here: the provider counts 10 s windows (the start task comes again later).
            if err.error_code not in RETRYABLE or err.code in (429, 504) or pause is None:
                raise
            log.warning("createTask attempt %d failed: %s", attempt + 1, err, extra=job.log_context)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def poll(c: "Container", job_id: str, attempt: int) -> Outcome:
    """Fallback when no callback arrives: ask the provider, then poll again later or time out."""
    job = await c.store.jobs.get(job_id)
    if job is None or job.terminal:
        if job and job.state == JobState.SUCCEEDED and not job.delivered_at:
            await deliver.redeliver(c, job)
        return Outcome.DONE
    if job.state != JobState.RUNNING:
        return Outcome.DONE
    model = c.catalog.get(job.model_id)
    await telegram.chat_action(c.bot, job.chat_id, model.output if model else "image")
    if await settle.ask_provider(c, job) == settle.Asked.COMPLETED:
        return Outcome.DONE
    if settle.past_deadline(c, job):
        await settle.time_out(c, job, "no result before the deadline")
        return Outcome.DONE
    delays = c.settings.poll_delays_seconds
    await enqueue_poll(c, job.id, attempt + 1, timedelta(seconds=delays[min(attempt, len(delays) - 1)]))
    return Outcome.DONE
