"""Sending to the chat: results by type with fallbacks, notices, chat actions; bounded retries on 429."""
from __future__ import annotations

import asyncio
import html
import logging
from typing import Any, Awaitable, Callable, TypeVar

from telegram import Bot, InputMediaAudio, InputMediaPhoto, InputMediaVideo
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

log = logging.getLogger("delivery")
T = TypeVar("T")
MAX_RETRY_AFTER_S = 30
ATTEMPTS = 3

SEND = {"image": "send_photo", "video": "send_video", "audio": "send_audio"}
MEDIA = {"image": InputMediaPhoto, "video": InputMediaVideo, "audio": InputMediaAudio}
ACTION = {"image": ChatAction.UPLOAD_PHOTO, "video": ChatAction.UPLOAD_VIDEO, "audio": ChatAction.UPLOAD_VOICE}


async def _with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """Honour Telegram's retry_after (bounded), retry network errors with backoff."""
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except RetryAfter as err:
            wait = err.retry_after if isinstance(err.retry_after, (int, float)) else err.retry_after.total_seconds()
            if attempt == ATTEMPTS - 1 or wait > MAX_RETRY_AFTER_S:
                raise
            await asyncio.sleep(wait)
        except (BadRequest, Forbidden):
            raise
        except TelegramError:
            if attempt == ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


async def notify(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> int | None:
    try:
        message = await _with_retry(lambda: bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, **kwargs))
    except TelegramError as err:
        log.warning("could not notify chat: %s", err)
        return None
    return message.message_id


async def chat_action(bot: Bot, chat_id: int, output: str) -> None:
    try:
        await bot.send_chat_action(chat_id, ACTION.get(output, ChatAction.TYPING))
    except TelegramError:
        pass  # cosmetic


async def send_result(bot: Bot, chat_id: int, output: str, urls: list[str], caption: str) -> list[int]:
    """Send by URL as the right media type; fall back to a document, then to plain links."""
    try:
        if len(urls) > 1:
            media = [MEDIA[output](url, caption=caption if i == 0 else None, parse_mode=ParseMode.HTML)
                     for i, url in enumerate(urls[:10])]
            messages = await _with_retry(lambda: bot.send_media_group(chat_id, media))
            return [m.message_id for m in messages]
        send = getattr(bot, SEND[output])
        message = await _with_retry(lambda: send(chat_id, urls[0], caption=caption, parse_mode=ParseMode.HTML))
        return [message.message_id]
    except BadRequest as err:
        log.warning("sending as %s failed (%s); trying documents", output, err)
    sent: list[int] = []
    try:
        for url in urls:
            message = await _with_retry(lambda: bot.send_document(chat_id, url, caption=caption, parse_mode=ParseMode.HTML))
            sent.append(message.message_id)
        return sent
    except BadRequest as err:
        log.warning("sending as document failed (%s); sending links", err)
    links = "\n".join(f'<a href="{html.escape(url)}">{i + 1}</a>' for i, url in enumerate(urls))
    message_id = await notify(bot, chat_id, f"{caption}\n\n{links}")
    return sent + ([message_id] if message_id else [])
