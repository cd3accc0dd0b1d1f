"""Plain button rows (text, callback data) as Telegram's inline keyboard."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from shared.ui.screens import Button


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows])
