"""Support from the user's side: "📩 Write to support" and the message that follows (text or a photo), passed
to the support chat (shared/app/support.py). Open to banned users and during maintenance."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import support
from shared.domain.users import User
from shared.telegram import reply
from shared.ui import talk
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container

AWAITING = "support"


async def ask(c: "Container", update: Update, user: User, code: str | None = None) -> None:
    """The next message the user sends goes to support (about the request `code`, from its status)."""
    awaiting = f"{AWAITING}:{code}" if code else AWAITING
    if user.awaiting != awaiting:
        await c.store.users.set_fields(user.user_id, awaiting=awaiting)
    await reply.send(update, talk.support_ask(user.language, c.settings.support_contact))


async def message(c: "Container", update: Update, user: User) -> None:
    """The user's message to support: passed on with who they are and their latest request codes."""
    msg = update.effective_message
    photo = msg.photo[-1].file_id if msg.photo else None
    text = msg.text or msg.caption or ""
    if not text and not photo:  # a voice or a file: say what we take, keep waiting
        await reply.send(update, talk.support_ask(user.language, c.settings.support_contact))
        return
    await c.store.users.set_fields(user.user_id, awaiting=None)
    tg = update.effective_user
    name = " ".join(filter(None, [tg.first_name, f"@{tg.username}" if tg.username else None])) or str(tg.id)
    about = (user.awaiting or "").partition(":")[2] or None
    sent = await support.forward(c, user, name, text, photo, about)
    await reply.send(update, say(user.language, "support_sent" if sent else "support_not_sent"))
