"""Telegram Bot API through python-telegram-bot, pointed at TELEGRAM_API_BASE_URL, and finished screens as
Telegram's inline keyboards."""
from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning
from telegram.request import HTTPXRequest

from shared.domain.screen import URL_PREFIX, Button

log = logging.getLogger("telegram")
RETRY_AFTER_ATTEMPTS = 3  # one call plus two retries
MAX_RETRY_AFTER_S = 5.0  # a longer flood wait is not slept through inside a request


class RetryingRequest(HTTPXRequest):
    """Every Bot API call honours a short 429 `retry_after` (bounded), so a flood-control blip
    never loses a message; a longer wait is raised to the caller."""

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(RETRY_AFTER_ATTEMPTS):
            try:
                return await super().post(*args, **kwargs)
            except RetryAfter as err:
                wait = retry_seconds(err)
                if attempt == RETRY_AFTER_ATTEMPTS - 1 or wait > MAX_RETRY_AFTER_S:
                    raise
                log.info("Bot API 429: waiting %.1f s", wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def retry_seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that it will become a timedelta; both are handled
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    return float(value) if isinstance(value, (int, float)) else value.total_seconds()


def make_request() -> RetryingRequest:
    # Bounded timeouts on every Bot API call; the pool serves concurrent handlers on one instance.
    return RetryingRequest(connection_pool_size=16, connect_timeout=5.0, read_timeout=15.0,
                           write_timeout=30.0, pool_timeout=5.0, media_write_timeout=60.0)


def make_bot(token: str, api_base_url: str) -> Bot:
    return Bot(token=token, base_url=f"{api_base_url}/bot", base_file_url=f"{api_base_url}/file/bot",
               request=make_request(), get_updates_request=make_request())


def markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """A screen's button rows as an inline keyboard (a URL_PREFIX button opens its link)."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(text, data) for text, data in row] for row in rows])


def _button(text: str, data: str) -> InlineKeyboardButton:
    if data.startswith(URL_PREFIX):
        return InlineKeyboardButton(text, url=data[len(URL_PREFIX):])
    return InlineKeyboardButton(text, callback_data=data)
