"""Typed input the wizard did not ask for: /cancel and /stop, a parked draft taken up again, a request code
looked up, and free text made the prompt of a model the user picks."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from telegram import Update

from shared.app import catalog as offers
from shared.app import drafts
from shared.domain.requests import request_code
from shared.domain.users import User
from shared.domain.validation import InvalidInput, check_value
from shared.telegram import reply, updates
from shared.telegram.wizard import next_step
from shared.ui import catalog, talk, wizard
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def cancel(c: "Container", update: Update, user: User) -> None:
    """/cancel, /stop: the open draft is cancelled (and whatever the bot was waiting for), or nothing was open."""
    if user.awaiting:
        await c.store.users.set_fields(user.user_id, awaiting=None)
        user = replace(user, awaiting=None)
    job = await c.store.drafts.current(user.user_id)
    if job is None:
        await reply.send(update, say(user.language, "nothing_to_cancel"))
        return
    await drafts.cancel(c, user, job.id)
    await reply.send(update, catalog.notice(user.language, "cancelled"))


async def resume(c: "Container", update: Update, user: User, job_id: str) -> None:
    """"Continue the order": the parked draft's step (or its confirmation) again; typed text answers it."""
    change = await drafts.draft_of(c, user, job_id)
    if change.status != drafts.Changed.CHANGED:
        await reply.show(update, say(user.language, "stale"))
        return
    if user.awaiting:
        await c.store.users.set_fields(user.user_id, awaiting=None)
    await next_step(c, update, user, change.job, c.catalog.get(change.job.model_id), new_message=True)


async def request(c: "Container", update: Update, user: User) -> None:
    """A request code typed: that job's status, when the job is the user's own (anyone else's reads as unknown)."""
    code = request_code(updates.text_of(update))
    job = await c.store.jobs.by_request_id(code) if code else None
    if job is None or job.user_id != user.user_id:
        await reply.send(update, talk.request_unknown(user.language, code or ""))
        return
    await reply.send(update, talk.request_status(user.language, job, c.catalog.get(job.model_id)))


async def from_text(c: "Container", update: Update, user: User, model_id: str) -> None:
    """"✨ Create from this text" with a model: its wizard with the text already as the prompt."""
    model = await offers.available(c, model_id)
    prompt = next((f for f in model.fields if f.name == "prompt"), None) if model else None
    if model is None or prompt is None or not user.last_text:
        await reply.send(update, say(user.language, "stale"))
        return
    try:
        value = check_value(prompt, user.last_text)
    except InvalidInput as err:
        await reply.send(update, wizard.problem(user.language, err.problem))
        return
    job = await drafts.begin(c, user, update.effective_chat.id, model, {prompt.name: value})
    await next_step(c, update, user, job, model, new_message=True)
