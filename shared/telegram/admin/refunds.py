"""/refund <payment code>: take the top-up and the inviter's share back, then return the Stars; Telegram's
answer or its record of star transactions settles the refund (shared/app/payments.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import payments
from shared.domain.users import User
from shared.telegram import reply
from shared.ui.admin import notices

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def refund(c: "Container", update: Update, user: User) -> None:
    words = (update.effective_message.text or "").split()
    if len(words) != 2:
        await reply.send(update, notices.refund_usage(user.language))
        return
    step = await payments.refund(c, words[1])
    await reply.send(update, notices.refund_reply(user.language, step.status, words[1], step.payment, step.balances,
                                                  step.note))
