"""How a job ends, said once: a job that ends without a result is refunded, its user told and its status line
closed; after any job ends its event is recorded, and an admin's smoke test gets its result."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from shared.app import smoke
from shared.clients import telegram
from shared.domain.clock import utcnow
from shared.domain.jobs import ErrorCode, Job, JobState
from shared.domain.screen import Screen
from shared.ui import results, talk

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("generation")


async def finished(c: "Container", job: Job, status: str) -> None:
    """What follows the end of any job: its event for the statistics (success | failed | timeout) and,
    for an admin's smoke test, its result in the run's report."""
    model = c.catalog.get(job.model_id)
    await c.store.jobs.record_event(job, status, model.category if model else "", job.duration_ms(utcnow()))
    if job.smoke_run:
        await smoke.record(c, job, ok=status == "success")


async def finish_failed(c: "Container", job: Job, code: ErrorCode, message: str, *,
                        only_if: Callable[[Job, datetime], bool] | None = None,
                        review: str | None = None) -> Job | None:
    """Refund once and tell the user; None when another call ended the job (or `only_if` no longer holds)."""
    refunded = await c.store.jobs.refund(job.id, code, message, only_if=only_if, review=review)
    if refunded is None:
        return None
    await tell_ended(c, refunded)
    await finished(c, refunded, "timeout" if code == ErrorCode.TIMEOUT else "failed")
    log.warning("refunded: %s %s", code.value, message, extra={**job.log_context, "error_code": code.value})
    return refunded


async def tell_ended(c: "Container", job: Job) -> bool:
    """Tell the user how the job ended; only once they were told is it settled. A notice lost (a long flood
    wait, a network error) leaves it to the sweep, which sends it again (claim_notice)."""
    balance = 0
    if job.state == JobState.FAILED and job.error_code == ErrorCode.INSUFFICIENT_FUNDS:
        user = await c.store.users.get(job.user_id)
        balance = user.balance_kopecks if user else 0
    model = c.catalog.get(job.model_id)
    text = results.ended(job.lang, job, model, balance, c.settings.free_daily_limit)
    buttons = results.failure_actions(job.lang, job) if job.state == JobState.REFUNDED and model else []
    buttons = [*buttons, talk.support_button(job.lang, write=False)]
    told = text is None or await telegram.notify(c.bot, job.chat_id, text,
                                                 reply_markup=telegram.markup(buttons)) is not None
    if job.state in (JobState.REFUNDED, JobState.FAILED):  # no "started" line or low-balance hint outlives it
        await close_status(c, job, results.status_failed(job.lang, job, model))
    if told:
        await c.store.jobs.settle(job.id)
    else:
        log.warning("the user was not told how the job ended; the sweep tries again", extra=job.log_context)
    return told


async def close_status(c: "Container", job: Job, screen: Screen) -> None:
    """The one "in progress" message becomes the final line (edited, not a new message; cosmetic: the result
    or the failure notice was already sent)."""
    if job.status_message_id:
        await telegram.edit(c.bot, job.chat_id, job.status_message_id, screen)
