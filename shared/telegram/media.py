"""A file sent for the wizard's media step (a photo, a document, audio, a voice message, a video): the use
case checks, fetches, measures, uploads and attaches it (shared/app/media.py); this says how it went. A file
sent with no order is offered to the models that can use it; one tap opens a model with it attached."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from telegram import Update

from shared.app import catalog as offers
from shared.app import drafts
from shared.app.media import Filed, Filing, attach as attach_file, attach_to, remember_counter
from shared.clients import telegram
from shared.domain.media import IncomingFile
from shared.domain.users import PARKED, User
from shared.domain.validation import InvalidInput, check_value, strip_controls
from shared.telegram import reply, updates
from shared.telegram.wizard import next_step
from shared.ui import talk, wizard
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def attach(c: "Container", update: Update, user: User) -> None:
    incoming = updates.incoming_file(update.effective_message)
    if user.awaiting == PARKED:  # a draft set aside: offer it back first
        job = await c.store.drafts.current(user.user_id)
        if job is not None:
            await reply.send(update, talk.parked(user.language, job, c.catalog.get(job.model_id)))
            return
    caption = (update.effective_message.caption or "").strip()
    if caption and not await _caption(c, update, user, caption):
        return
    filing = await attach_file(c, user, update.effective_chat.id, incoming, update.effective_message.date)
    if filing.status == Filed.LATE:
        await reply.send(update, say(user.language, "late_input"))
    elif filing.status == Filed.NO_DRAFT:
        await _offer(c, update, user, incoming)
    else:
        await report(c, update, user, filing)


async def _caption(c: "Container", update: Update, user: User, caption: str) -> bool:
    """A file's caption on an open draft is its prompt (the file goes to its media step after it); False when
    the caption does not fit the prompt (the user was told)."""
    job = await c.store.drafts.current(user.user_id)
    model = c.catalog.get(job.model_id) if job else None
    prompt = next((f for f in model.fields if f.name in ("prompt", "text") and f.type == "text"), None) if model else None
    if prompt is None or (job.created_at and update.effective_message.date < job.created_at.replace(microsecond=0)):
        return True
    try:
        value = check_value(prompt, caption)
    except InvalidInput as err:
        await reply.send(update, wizard.problem(user.language, err.problem))
        return False
    await drafts.change(c, user, job.id, lambda draft: {"inputs": {**draft.inputs, prompt.name: value}})
    return True


async def _album(c: "Container", update: Update, user: User, incoming: IncomingFile) -> None:
    """An album with no order, answered once (at its first part; best effort: parts racing it may repeat):
    the models that take several files, to open and send the album to."""
    if user.last_album == incoming.media_group:
        return
    await c.store.users.set_fields(user.user_id, last_album=incoming.media_group)
    models = [m for m in await offers.for_file(c, incoming.kind) if any(f.is_media and f.multiple for f in m.fields)]
    await reply.send(update, talk.from_album(user.language, models, await offers.offers(c, user.user_id, models)))


async def _offer(c: "Container", update: Update, user: User, incoming: IncomingFile | None) -> None:
    """A file with no order: what can be done with it (the file is kept by its Telegram id, nothing fetched)."""
    if incoming and incoming.media_group:
        await _album(c, update, user, incoming)
        return
    models = await offers.for_file(c, incoming.kind) if incoming else []
    if not models:
        await reply.send(update, say(user.language, "unknown"))
        return
    caption = strip_controls(update.effective_message.caption or "")[:4000]
    await c.store.users.set_fields(user.user_id, last_file={**asdict(incoming), "caption": caption})
    found = await offers.offers(c, user.user_id, models)
    await reply.send(update, talk.from_file(user.language, incoming.kind, models, found))


async def with_file(c: "Container", update: Update, user: User, model_id: str) -> None:
    """A model chosen for the file sent with no order: its wizard, the file measured and attached like any."""
    model = await offers.available(c, model_id)
    kept = user.last_file
    field = offers.file_field(model, kept["kind"]) if model and kept else None
    if field is None:
        await reply.send(update, say(user.language, "stale"))
        return
    prompt = next((f for f in model.fields if f.name == "prompt" and f.type == "text"), None)
    inputs = {}
    if prompt is not None and kept.get("caption"):  # the photo's caption, as its prompt when it fits
        try:
            inputs[prompt.name] = check_value(prompt, kept["caption"])
        except InvalidInput:
            pass
    job = await drafts.begin(c, user, update.effective_chat.id, model, inputs)
    kept = {k: v for k, v in kept.items() if k != "caption"}
    filing = await attach_to(c, user, update.effective_chat.id, job, model, field, IncomingFile(**kept))
    await report(c, update, user, filing)


async def report(c: "Container", update: Update, user: User, filing: Filing) -> None:
    lang = user.language
    if filing.status in (Filed.NEXT, Filed.COMPLETE):
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
