"""The language switch in the main menu (🌐): the choice is stored on the user and wins over Telegram's
language_code from then on, for the worker's messages too (a job takes the user's language when it is made)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app.users import choose_language
from shared.domain.users import User
from shared.telegram import reply
from shared.telegram.menu import home
from shared.ui.language import LANGUAGES, language_screen

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def language(c: "Container", update: Update, user: User, choice: str | None = None) -> None:
    """`lang`: the two languages; `lang:<ru|en>`: store the choice and show the menu in it."""
    if choice not in LANGUAGES:
        await reply.show(update, language_screen(user.language))
        return
    await choose_language(c, user, choice)
    await home(c, update, user)
