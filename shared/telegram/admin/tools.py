"""Admin tools that start work for the worker: the smoke test of the free models and broadcasts."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import BadRequest

from shared.app import smoke as smoke_test
from shared.domain.broadcast import broadcast_html
from shared.domain.jobs import new_job_id
from shared.domain.users import User
from shared.telegram import reply
from shared.telegram.admin import answered, ask, confirm
from shared.ui.admin import notices, panel
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def smoke(c: "Container", update: Update, user: User) -> None:
    """A real generation on each free model, charged to nobody; results and a report go to this chat."""
    free = await smoke_test.run(c, user, update.effective_chat.id)
    await reply.send(update, notices.smoke_started(user.language, len(free)))


async def ask_broadcast(c: "Container", update: Update, user: User) -> None:
    await ask(c, update, user, "broadcast", "adm_broadcast_prompt")


async def preview_broadcast(c: "Container", update: Update, user: User) -> None:
    """The admin's text with its Telegram formatting (or typed as HTML) as every user will see it, with the
    send button; a text Telegram cannot parse is refused here, before anyone could be sent it."""
    await answered(c, user)
    message = update.effective_message
    formatted = message.text_html if any(e.type != "bot_command" for e in message.entities) else None
    text, preview_id = broadcast_html((message.text or "").strip(), formatted), new_job_id()
    try:
        await reply.send(update, panel.broadcast_preview(user.language, await c.store.users.count(), text,
                                                         preview_id))
    except BadRequest as err:
        await ask(c, update, user, "broadcast", "adm_broadcast_prompt")
        await reply.send(update, notices.broadcast_bad_html(user.language, err))
        return
    await c.store.admin.save_draft("broadcast", user.user_id, {"text": text, "id": preview_id})


async def send_broadcast(c: "Container", update: Update, user: User, preview_id: str = "") -> None:
    """The preview's send button: like a ban, a broadcast asks for its reason and a confirmation (it goes to
    every user and cannot be taken back); an older or used preview's button asks for a new text instead."""
    if not preview_id or (await c.store.admin.draft("broadcast", user.user_id)).get("id") != preview_id:
        await stale_broadcast(c, update, user)
        return
    await confirm.propose(c, update, user, "broadcast", preview_id)


async def stale_broadcast(c: "Container", update: Update, user: User) -> None:
    await reply.send(update, say(user.language, "adm_broadcast_stale"))
    await ask_broadcast(c, update, user)
