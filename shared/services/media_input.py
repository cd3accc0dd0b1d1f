"""Files users send for media inputs: read the Telegram message, fetch the bytes (streamed, capped),
measure them (shared/services/media_measure.py)."""
from __future__ import annotations

import asyncio
import logging

import httpx
from telegram import Bot, Message
from telegram.error import TelegramError

from shared.catalog import FieldSpec
from shared.domain.media import IncomingFile, Measured, Unmeasurable, byte_limit, check_size, too_big
from shared.domain.validation import InputProblem, InvalidInput

log = logging.getLogger("media_input")
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
DOWNLOAD_TIMEOUT_S = 25.0  # a whole download (the update has 50 s in all), on top of the per-read timeouts


class TooBig(Exception):
    def __init__(self, size: int):
        super().__init__(f"more than {size} bytes")
        self.size = size


class FetchFailed(Exception):
    pass


def incoming_file(message: Message) -> IncomingFile | None:
    """The file in a message as Telegram describes it: enough to refuse early, never to price."""
    group = message.media_group_id
    if message.photo:
        p = message.photo[-1]  # the largest size
        return IncomingFile("image", p.file_id, "image/jpeg", p.file_size, group)
    if message.voice:
        v = message.voice
        return IncomingFile("audio", v.file_id, v.mime_type or "audio/ogg", v.file_size, group)
    if message.audio:
        a = message.audio
        return IncomingFile("audio", a.file_id, a.mime_type or "audio/mpeg", a.file_size, group)
    if message.video:
        v = message.video
        return IncomingFile("video", v.file_id, v.mime_type or "video/mp4", v.file_size, group)
    if message.document:
        d = message.document
        mime = (d.mime_type or "application/octet-stream").lower()
        kind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "other")
        return IncomingFile(kind, d.file_id, mime, d.file_size, group)
    return None


async def fetch(url: str, limit: int) -> bytes:
    """The bytes at `url`, read streamed: TooBig as soon as they pass `limit` (never buffered past it),
    FetchFailed on any HTTP error or timeout. The URL may hold the bot token: it is never logged."""
    try:
        async with asyncio.timeout(DOWNLOAD_TIMEOUT_S):
            async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as http:
                async with http.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise FetchFailed(f"HTTP {response.status_code}")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > limit and response.headers.get("content-encoding", "identity") == "identity":
                        raise TooBig(declared)
                    buf = bytearray()
                    async for chunk in response.aiter_bytes():
                        buf += chunk
                        if len(buf) > limit:
                            raise TooBig(max(declared, len(buf)))
                    return bytes(buf)
    except (httpx.HTTPError, TimeoutError, ValueError) as err:
        raise FetchFailed(type(err).__name__) from None


async def download(bot: Bot, field: FieldSpec, file_id: str) -> bytes:
    """A user's file from Telegram, at most what the field takes (InvalidInput otherwise)."""
    limit = byte_limit(field)
    try:
        tg_file = await bot.get_file(file_id)
        check_size(field, tg_file.file_size)
        return await fetch(tg_file.file_path, limit)
    except TooBig as err:
        raise too_big(field, err.size) from None
    except (TelegramError, FetchFailed) as err:
        log.warning("could not fetch a user's file: %s", type(err).__name__)
        raise InvalidInput(InputProblem(field=field.name, code="fetch_failed")) from None


async def measure(field: FieldSpec, data: bytes) -> Measured:
    """Decode the bytes in a worker thread (the event loop keeps serving other updates)."""
    from shared.services.media_measure import measure as decode

    try:
        return await asyncio.to_thread(decode, data)
    except Unmeasurable as err:
        raise err.problem(field) from None


async def measure_url(field: FieldSpec, url: str) -> Measured:
    """An earlier result as input of `field` (a chain button): fetched and measured like an upload."""
    try:
        data = await fetch(url, byte_limit(field))
    except TooBig as err:
        raise too_big(field, err.size) from None
    except FetchFailed as err:
        log.warning("could not fetch an earlier result: %s", err)
        raise InvalidInput(InputProblem(field=field.name, code="fetch_failed")) from None
    return await measure(field, data)
