"""A file sent for the wizard's media step (a photo, a document, audio, a voice message, a video): the use
case checks, fetches, measures, uploads and attaches it (shared/app/media.py); this says how it went."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app.media import Filed, Filing, attach as attach_file, remember_counter
from shared.clients import telegram
from shared.domain.users import User
from shared.telegram import reply, updates
from shared.telegram.wizard import next_step
from shared.ui import wizard
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def attach(c: "Container", update: Update, user: User) -> None:
    lang = user.language
    filing = await attach_file(c, user, update.effective_chat.id, updates.incoming_file(update.effective_message))
    if filing.status == Filed.NO_DRAFT:
        await reply.send(update, say(lang, "unknown"))
    elif filing.status in (Filed.NEXT, Filed.COMPLETE):
        await next_step(c, update, user, filing.job, filing.model, new_message=True)
    elif filing.status == Filed.PROBLEM:
        await reply.send(update, wizard.problem(lang, filing.problem))
    elif filing.status == Filed.UPLOAD_FAILED:
        await reply.send(update, wizard.upload_failed(lang))
    elif filing.status == Filed.STALE:
        await reply.send(update, say(lang, "stale"))
    elif filing.status == Filed.FULL:
        await reply.send(update, wizard.too_many_files(lang, filing.field.max_count))
    elif filing.status == Filed.ADDED:
        await _counter(c, update, lang, filing)


async def _counter(c: "Container", update: Update, lang: str, filing: Filing) -> None:
    """How many files the step has: one message per album, edited as the album's parts arrive (each part
    is an update of its own; a message per part, or only the first, showed the wrong count)."""
    index = filing.model.fields.index(filing.field)
    screen = wizard.media_received(lang, filing.job, index, filing.count, filing.field.max_count)
    counter = filing.job.album_counters.get(filing.media_group) if filing.media_group else None
    if counter and await telegram.edit(c.bot, update.effective_chat.id, counter, screen):
        return
    message_id = await reply.send(update, screen)
    if filing.media_group:
        await remember_counter(c, filing.job, filing.media_group, message_id)
