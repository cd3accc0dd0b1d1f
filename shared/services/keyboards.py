"""Plain button rows (text, callback data) as Telegram's inline keyboard."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from shared.ui.screens import Button


URL_PREFIX = "url:"  # a button whose "data" starts with this opens a link instead


def button(text: str, data: str) -> InlineKeyboardButton:
    if data.startswith(URL_PREFIX):
        return InlineKeyboardButton(text, url=data[len(URL_PREFIX):])
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[button(text, data) for text, data in row] for row in rows])
