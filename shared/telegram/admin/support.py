"""Support from the admins' side: a reply to a forwarded support message, or /reply <user_id> text, reaches
the user (shared/app/support.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import support
from shared.domain.users import User
from shared.telegram import reply
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def answer(c: "Container", update: Update, user: User) -> None:
    """A reply (in the support chat) to a support message the bot forwarded."""
    replied = update.effective_message.reply_to_message
    target = support.user_of(replied.text or replied.caption if replied else None)
    await _deliver(c, update, user, target, update.effective_message.text or "")


async def reply_command(c: "Container", update: Update, user: User) -> None:
    """/reply <user_id> text"""
    parts = (update.effective_message.text or "").split(maxsplit=2)
    if len(parts) < 3 or not parts[1].isdigit():
        await reply.send(update, say(user.language, "adm_reply_usage"))
        return
    await _deliver(c, update, user, int(parts[1]), parts[2])


async def _deliver(c: "Container", update: Update, user: User, target: int | None, text: str) -> None:
    if target is None or not text.strip():
        await reply.send(update, say(user.language, "adm_reply_usage"))
        return
    delivered = await support.answer(c, target, text.strip())
    key = "adm_support_delivered" if delivered else "adm_support_undelivered"
    await reply.send(update, say(user.language, key, user_id=target))
