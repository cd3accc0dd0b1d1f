"""The admin panel (/admin and /refund): only ADMIN_IDS get here (the middleware's guard); every change is
logged. Its screens speak the admin's language (shared/ui/admin/)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.domain.users import User
from shared.telegram import reply
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def ask(c: "Container", update: Update, user: User, what: str, key: str) -> None:
    """Wait for the admin's typed `what` (shared/telegram/routes.py AWAITING) after the prompt `key`."""
    await c.store.users.set_fields(user.user_id, awaiting=f"admin_{what}")
    await reply.send(update, say(user.language, key))


async def answered(c: "Container", user: User) -> str:
    """The awaited input is here: stop waiting; what it was for."""
    await c.store.users.set_fields(user.user_id, awaiting=None)
    return (user.awaiting or "").removeprefix("admin_")
