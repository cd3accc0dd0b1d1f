"""Delivering a result: the first attempt after the provider finished, another after one was cut short (at
most DELIVERY_ATTEMPTS, then it is refunded), and a past result sent again from /history, free."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from telegram.constants import ParseMode

from shared.app import alerts
from shared.app.endings import close_status, finish_failed, finished
from shared.clients import delivery, telegram
from shared.clients.ladder import LIMITS, Limits
from shared.domain.chains import chains_for
from shared.domain.clock import utcnow
from shared.domain.jobs import DELIVERY_ATTEMPTS, REVIEW_UNDELIVERED, ErrorCode, Job, JobState, results_fresh
from shared.domain.screen import Button
from shared.ui import results

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("generation")


def _actions(c: "Container", job: Job, lang: str, enabled: set[str]) -> list[list[Button]]:
    model = c.catalog.get(job.model_id)
    return results.actions(lang, job, model, chains_for(model, enabled)) if model else []


async def _send(c: "Container", job: Job, chat_id: int, lang: str, buttons: list[list[Button]],
                limits: Limits | None = None) -> tuple[list[int], list[dict[str, str]]]:
    """The result from its URLs down the delivery ladder: the messages sent and Telegram's file ids."""
    model = c.catalog.get(job.model_id)
    files: list[dict[str, str]] = []
    sent = await delivery.send_result(c.bot, chat_id, model.output if model else "image", job.result_urls,
                                      results.caption(lang, job, model), buttons, limits=limits,
                                      words=delivery.Words(**results.delivery_words(lang)), files=files,
                                      as_file=bool(model and model.deliver_as_file))
    return sent, files


async def deliver(c: "Container", job: Job) -> None:
    """One delivery attempt (the caller holds the delivery lease). Nothing reached the chat: the sweep tries
    again (claim_delivery), and after the last attempt the job is refunded and admins are told."""
    sent, files = await _send(c, job, job.chat_id, job.lang,
                              _actions(c, job, job.lang, {m.id for m in c.catalog.enabled()}))
    if not sent:
        await c.store.jobs.set_fields(job.id, delivery_until=None)
        log.warning("result not delivered (attempt %d)", job.delivery_attempts, extra=job.log_context)
        if job.delivery_attempts >= DELIVERY_ATTEMPTS:
            refunded = await give_up(c, job)
            if refunded is not None:
                await alerts.review(c, [refunded])
        return
    await c.store.jobs.set_fields(job.id, delivered_at=utcnow(), delivered_message_ids=sent, delivered_files=files,
                                  unsettled=False)
    await close_status(c, job, results.status_done(job.lang, job, c.catalog.get(job.model_id)))
    await finished(c, job, "success")
    log.info("delivered %d file(s)", len(job.result_urls), extra=job.log_context)


async def redeliver(c: "Container", job: Job) -> bool:
    """Deliver a succeeded job whose earlier delivery was cut short (a killed instance, a long flood wait),
    unless someone else is delivering it right now."""
    claimed = await c.store.jobs.claim_delivery(job.id, timedelta(seconds=c.settings.delivery_lease_s))
    if claimed is None:
        return False
    log.info("delivering again (attempt %d)", claimed.delivery_attempts, extra=job.log_context)
    await deliver(c, claimed)
    return True


async def give_up(c: "Container", job: Job) -> Job | None:
    """The last delivery attempt is over and nothing reached the chat: refund it (never neither), for review."""
    return await finish_failed(c, job, ErrorCode.DELIVERY_FAILED,
                               f"result not delivered after {job.delivery_attempts} attempts",
                               review=REVIEW_UNDELIVERED)


class Again(StrEnum):
    SENT = "sent"
    GONE = "gone"  # nothing to send: not delivered (a refunded result was given back), URLs expired
    FAILED = "failed"  # the URLs did not go through


async def again(c: "Container", job: Job, chat_id: int, lang: str, enabled: set[str]) -> Again:
    """A past result sent again: by Telegram file id, or from its result URLs while they are valid (at most
    20 MB pass through this instance, as for a media input; bigger files go as links). No charge, no
    provider call."""
    buttons = _actions(c, job, lang, enabled)
    if job.state == JobState.SUCCEEDED and not job.delivered_files and results_fresh(job, utcnow()):
        limits = replace(LIMITS, file_upload=LIMITS.file_by_url, download_max=LIMITS.file_by_url)
        sent, files = await _send(c, job, chat_id, lang, buttons, limits)
        if sent and files:  # next time by file id
            await c.store.jobs.set_fields(job.id, delivered_files=files)
        return Again.SENT if sent else Again.FAILED
    if job.state != JobState.SUCCEEDED or not job.delivered_files:
        return Again.GONE
    caption, markup = results.caption(lang, job, c.catalog.get(job.model_id)), telegram.markup(buttons)
    for i, item in enumerate(job.delivered_files):
        last = i == len(job.delivered_files) - 1
        await getattr(c.bot, f"send_{item['kind']}")(chat_id, item["file_id"], caption=caption if i == 0 else None,
                                                     parse_mode=ParseMode.HTML, reply_markup=markup if last else None)
    return Again.SENT
