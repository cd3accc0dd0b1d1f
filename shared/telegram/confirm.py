"""The confirm button: the use case decides (shared/app/confirm.py), this shows its verdict. The message the
button sits on becomes the job's status line."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app.confirm import Confirmation, Verdict, confirm as confirm_draft, status_shown
from shared.domain.quote import parse_digest
from shared.domain.users import User
from shared.telegram import reply
from shared.telegram.wizard import confirmation, not_a_draft
from shared.ui import catalog, results, wizard
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def confirm(c: "Container", update: Update, user: User, job_id: str, digest: str) -> None:
    await _confirm(c, update, user, job_id, digest, second_tap=False)


async def second_tap(c: "Container", update: Update, user: User, job_id: str, digest: str) -> None:
    """"Yes, run" under the warning of an expensive generation."""
    await _confirm(c, update, user, job_id, digest, second_tap=True)


async def _confirm(c: "Container", update: Update, user: User, job_id: str, digest: str, second_tap: bool) -> None:
    button = update.callback_query.message if update.callback_query else None
    done = await confirm_draft(c, user, job_id, digest, button.message_id if button else None, second_tap)
    lang, verdict = user.language, done.verdict
    if verdict == Verdict.NOT_A_DRAFT:
        await not_a_draft(update, user, done.job)
    elif verdict == Verdict.UNAVAILABLE:
        await reply.send(update, catalog.unavailable(lang, done.model))
    elif verdict == Verdict.INVALID:
        await reply.send(update, wizard.problem(lang, done.problem))
    elif verdict == Verdict.QUOTE_CHANGED:
        screen = wizard.confirm_screen(lang, done.job, done.model, done.offer, user.balance_kopecks)
        await reply.show(update, wizard.quote_changed(lang, screen, parse_digest(digest),
                                                      done.offer.quote(done.job.revision)))
    elif verdict == Verdict.INSUFFICIENT_FUNDS:
        await reply.show(update, await confirmation(c, user, done.job, done.model))
        await reply.send(update, wizard.insufficient_funds(lang, done.offer.price, user.balance_kopecks))
    elif verdict == Verdict.SECOND_TAP:
        await reply.show(update, wizard.expensive(lang, done.job, done.model, done.offer.price, digest))
    elif verdict == Verdict.RUNNING:
        await reply.send(update, say(lang, "already_running"))
    elif verdict == Verdict.NOT_STARTED:
        await reply.show(update, results.not_started(lang, done.job.request_id))
    elif verdict == Verdict.STARTED:
        await _started(c, update, user, done)


async def _started(c: "Container", update: Update, user: User, done: Confirmation) -> None:
    typical_s = ((await c.model_health()).get(done.model.id) or {}).get("typical_s")
    status_id = await reply.show(update, results.started(user.language, done.model, done.job.request_id,
                                                         done.low_balance, typical_s))
    await status_shown(c, done.job, status_id)
