"""Support: a user's message passed to the support chat (with who they are and their latest request codes),
and an admin's answer passed back. Nothing is stored: the forwarded message itself names the user."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shared.clients import telegram
from shared.domain.users import User
from shared.ui import talk

if TYPE_CHECKING:
    from shared.bootstrap import Container

CODES = 3  # the latest request codes shown with a message
USER_ID = re.compile(r"\bID (\d{1,16})\b")


def chats(c: "Container") -> list[int]:
    """Where support messages go: SUPPORT_CHAT_ID, else each admin."""
    chat = c.settings.support_chat_id
    return [chat] if chat else list(c.settings.admin_ids)


async def forward(c: "Container", user: User, name: str, text: str, photo_id: str | None,
                  about: str | None = None) -> bool:
    """The user's message in every support chat (`about`: the request code they wrote about, first); True when
    at least one chat got it."""
    recent = await c.store.jobs.recent_of(user.user_id, CODES)
    codes = [about] if about else []
    codes += [r["request_id"] for r in recent if r.get("request_id") and r["request_id"] != about]
    sent = False
    for chat in chats(c):
        lang = "ru"  # the support chat reads Russian, as the admin panel does by default
        body = talk.support_from(lang, user.user_id, name, codes, text[:3000])
        if photo_id:
            sent = await telegram.photo_by_id(c.bot, chat, photo_id, body) is not None or sent
        else:
            sent = await telegram.notify(c.bot, chat, body, retry=False) is not None or sent
    return sent


def user_of(forwarded_text: str | None) -> int | None:
    """The user a forwarded support message names."""
    found = USER_ID.search(forwarded_text or "")
    return int(found.group(1)) if found else None


async def answer(c: "Container", user_id: int, text: str) -> bool:
    """An admin's answer, in the user's language, with the button to write again."""
    target = await c.store.users.get(user_id)
    if target is None:
        return False
    screen = talk.support_answer(target.language, text)
    return await telegram.send(c.bot, user_id, screen, retry=False) is not None
