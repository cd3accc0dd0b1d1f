"""Telegram Bot API through python-telegram-bot, pointed at TELEGRAM_API_BASE_URL."""
from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest


def make_request() -> HTTPXRequest:
    # Bounded timeouts on every Bot API call; the pool serves concurrent handlers on one instance.
    return HTTPXRequest(connection_pool_size=16, connect_timeout=5.0, read_timeout=15.0,
                        write_timeout=30.0, pool_timeout=5.0, media_write_timeout=60.0)


def make_bot(token: str, api_base_url: str) -> Bot:
    return Bot(token=token, base_url=f"{api_base_url}/bot", base_file_url=f"{api_base_url}/file/bot",
               request=make_request(), get_updates_request=make_request())
