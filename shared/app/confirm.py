"""Confirming a draft: validate everything, freeze the price the pressed button showed, queue the worker's
start task. Nothing is charged here (the worker charges, shared/app/generation.py)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from shared.app import catalog
from shared.app.drafts import Changed, draft_of
from shared.app.tasks import enqueue_start
from shared.clients import telegram
from shared.catalog import ModelSpec
from shared.domain.jobs import Confirmed, ErrorCode, Job, JobState, new_request_id
from shared.domain.pricing import rub_to_kopecks
from shared.domain.quote import Offer
from shared.domain.users import User
from shared.domain.validation import InputProblem, InvalidInput, build_payload
from shared.logs import mask_user
from shared.ui import results

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bot")


class Verdict(StrEnum):
    NOT_A_DRAFT = "not_a_draft"  # gone, someone else's, or running already (`job`)
    UNAVAILABLE = "unavailable"  # the model was switched off
    INVALID = "invalid"  # an input does not fit the model (`problem`)
    QUOTE_CHANGED = "quote_changed"  # the draft's quote is not the button's: nothing runs (`offer`: the current)
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SECOND_TAP = "second_tap"  # above CONFIRM_ABOVE_RUB: ask again
    RUNNING = "running"  # confirmed by an earlier tap
    NOT_STARTED = "not_started"  # the queue refused the start task: the job failed, nothing charged
    STARTED = "started"  # confirmed and queued (`low_balance`: what is left, when a top-up is worth a word)
    QUIET = "quiet"  # the start task went through after all and the job already ended: the worker told the user


@dataclass(frozen=True)
class Confirmation:
    verdict: Verdict
    job: Job | None = None
    model: ModelSpec | None = None
    offer: Offer | None = None
    problem: InputProblem | None = None
    low_balance: int | None = None


async def confirm(c: "Container", user: User, job_id: str, digest: str, status_message_id: int | None,
                  second_tap: bool = False) -> Confirmation:
    """The confirm button of a draft: `digest` is the quote it showed; the message it sits on becomes the
    job's status line."""
    found = await draft_of(c, user, job_id)
    if found.status != Changed.CHANGED:
        return Confirmation(Verdict.NOT_A_DRAFT, found.job)
    job = found.job
    model = c.catalog.get(job.model_id)
    if await catalog.available(c, model.id) is None:
        return Confirmation(Verdict.UNAVAILABLE, job, model)
    try:
        build_payload(model, job.inputs)
    except InvalidInput as err:
        return Confirmation(Verdict.INVALID, job, model, problem=err.problem)
    offer = await catalog.offer(c, user.user_id, job, model)
    if offer.quote(job.revision).digest != digest:
        return Confirmation(Verdict.QUOTE_CHANGED, job, model, offer)
    if not offer.is_free and user.balance_kopecks < offer.price:
        return Confirmation(Verdict.INSUFFICIENT_FUNDS, job, model, offer)
    if offer.price <= 0 and not offer.is_free:
        raise RuntimeError(f"non-positive price for {model.id}")  # a pricing bug must never run for free
    if not offer.is_free and offer.price > rub_to_kopecks(c.settings.confirm_above_rub) and not second_tap:
        return Confirmation(Verdict.SECOND_TAP, job, model, offer)
    return await _confirm_quoted(c, user, job, model, offer, digest, status_message_id)


async def _confirm_quoted(c: "Container", user: User, job: Job, model: ModelSpec, offer: Offer, digest: str,
                          status_message_id: int | None) -> Confirmation:
    outcome = await c.store.drafts.confirm_quoted(job.id, user.user_id, catalog.quote_rule(c, model, offer.is_free),
                                                  digest, new_request_id(), status_message_id)
    if outcome.status == Confirmed.CHANGED:  # an edit landed since this update read the draft
        return Confirmation(Verdict.QUOTE_CHANGED, outcome.job, model,
                            await catalog.offer(c, user.user_id, outcome.job, model))
    if outcome.status != Confirmed.CONFIRMED:
        return Confirmation(Verdict.RUNNING, outcome.job, model)
    confirmed = outcome.job
    refused = await _queue(c, confirmed)
    if refused is not None:
        return Confirmation(refused, confirmed, model)
    left = user.balance_kopecks - (0 if offer.is_free else offer.price)
    low = not offer.is_free and left < rub_to_kopecks(c.settings.low_balance_rub)
    log.info("job confirmed", extra={"job_id": job.id, "request_id": confirmed.request_id,
                                     "user": mask_user(user.user_id), "model_id": model.id})
    return Confirmation(Verdict.STARTED, confirmed, model, offer, low_balance=left if low else None)


async def _queue(c: "Container", job: Job) -> Verdict | None:
    """Queue the start task (None). When the queue is down the job fails now, nothing charged (NOT_STARTED)...
    unless the task was accepted after all and the worker has the job (maybe charged it already): then it runs
    like any other, and the worker tells how it ends (QUIET, when it has already)."""
    try:
        await enqueue_start(c, job.id)
        return None
    except Exception:
        log.exception("enqueue failed", extra={"job_id": job.id, "request_id": job.request_id})
    if await c.store.jobs.move(job.id, JobState.FAILED, error_code=ErrorCode.INTERNAL.value, unsettled=False):
        return Verdict.NOT_STARTED
    current = await c.store.jobs.get(job.id)
    return Verdict.QUIET if current is None or current.terminal else None


async def status_shown(c: "Container", job: Job, message_id: int) -> None:
    """The started line is shown; when it went out as a new message (the button's could not be edited) it is the
    status line. A job that ended meanwhile (a refund within the second it took) had its final line written
    before this "started" one: it is written again, so no "started" line or low-balance hint outlives the job."""
    if message_id != job.status_message_id:
        await c.store.jobs.set_fields(job.id, status_message_id=message_id)
    current = await c.store.jobs.get(job.id)
    final = None
    if current is not None and current.state == JobState.REFUNDED:
        final = results.status_failed(current.lang, current, c.catalog.get(current.model_id))
    elif current is not None and current.state == JobState.SUCCEEDED and current.delivered_at:
        final = results.status_done(current.lang, current, c.catalog.get(current.model_id))
    if final is not None:
        await telegram.edit(c.bot, current.chat_id, message_id, final)
