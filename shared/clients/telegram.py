"""Telegram Bot API through python-telegram-bot, pointed at TELEGRAM_API_BASE_URL: the bot, finished screens
sent and edited (as inline keyboards), chat actions, users' files. Bounded retries on network errors; a short
429 is waited out by the request layer, a long one is the caller's."""
from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any, Awaitable, Callable, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from shared.domain.screen import URL_PREFIX, Button, Screen

log = logging.getLogger("telegram")
T = TypeVar("T")
RETRY_AFTER_ATTEMPTS = 3  # one call plus two retries
MAX_RETRY_AFTER_S = 5.0  # a longer flood wait is not slept through inside a request
ATTEMPTS = 3  # network errors
ACTION = {"image": ChatAction.UPLOAD_PHOTO, "photo": ChatAction.UPLOAD_PHOTO,
          "video": ChatAction.UPLOAD_VIDEO, "audio": ChatAction.UPLOAD_VOICE,
          "document": ChatAction.UPLOAD_DOCUMENT}


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


def too_large(err: TelegramError) -> bool:
    return "entity too large" in str(err).lower()  # HTTP 413: PTB raises it as a NetworkError


async def with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """Retry network errors with backoff; never retry a refusal. (A short 429 was already waited out by
    the request layer; a long one ends the caller's work and the sweep retries it.)"""
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except (RetryAfter, BadRequest, Forbidden, InvalidToken, ChatMigrated):
            raise
        except TelegramError as err:
            if attempt == ATTEMPTS - 1 or too_large(err):
                raise
            await asyncio.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


async def notify(bot: Bot, chat_id: int, text: str, retry: bool = True, **kwargs: Any) -> int | None:
    """An HTML message; its id, or None when it could not be sent (logged, never raised). `retry=False`: one
    attempt (a timed-out send may have arrived; a second one would say it twice)."""
    async def call() -> Any:
        return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, **kwargs)

    try:
        message = await (with_retry(call) if retry else call())
    except TelegramError as err:
        log.warning("could not notify chat: %s", err)
        return None
    return message.message_id


async def send(bot: Bot, chat_id: int, screen: Screen, retry: bool = True, **kwargs: Any) -> int | None:
    """A finished screen as a new message; its id, or None when it could not be sent."""
    return await notify(bot, chat_id, screen.text, retry, reply_markup=markup(screen.buttons), **kwargs)


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen) -> bool:
    """A message becomes `screen` (cosmetic: a failure is logged)."""
    try:
        await bot.edit_message_text(screen.text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                                    reply_markup=markup(screen.buttons))
    except TelegramError as err:
        log.info("message not edited: %s", err)
        return False
    return True


async def chat_action(bot: Bot, chat_id: int, output: str) -> None:
    """Show an output's action ("image", "video", "audio", "document") or a ChatAction value."""
    action = ACTION.get(output) or (output if output in set(ChatAction) else ChatAction.TYPING)
    try:
        await bot.send_chat_action(chat_id, action)
    except TelegramError:
        pass  # cosmetic


async def file_of(bot: Bot, file_id: str) -> tuple[str, int | None]:
    """Where a user's file can be downloaded, and its size as Telegram says (TelegramError when it cannot)."""
    tg_file = await bot.get_file(file_id)
    return tg_file.file_path, tg_file.file_size


async def photo_by_id(bot: Bot, chat_id: int, file_id: str, caption: str) -> int | None:
    """A photo Telegram already has (a user's file id) sent to another chat with an HTML caption; its id, or
    None when it could not be sent (logged)."""
    try:
        message = await bot.send_photo(chat_id, file_id, caption=caption[:1024], parse_mode=ParseMode.HTML)
    except TelegramError as err:
        log.warning("could not send a photo: %s", err)
        return None
    return message.message_id
