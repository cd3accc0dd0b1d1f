"""The delivery ladder: results sent to the chat within Telegram's media limits.

1. `probe` learns each file's size and content type (HEAD; else the headers of a streamed GET).
2. `plan` picks a route per file from Telegram's limits; a pure function, its table is in its docstring.
3. The file goes by URL, or is downloaded (streamed, bounded) and uploaded, or a JPEG preview is sent
   with the original as a document, or a message carries a download link. A rejected send falls one
   step down that ladder; Telegram and HTTP problems are logged, never raised to the caller.
Several files go as media groups (2-10 items); the buttons then follow on a short message. The caption,
buttons and words come finished (shared/ui/results.py); nothing here composes text.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import mimetypes
import os
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
from telegram import (Bot, InlineKeyboardMarkup, InputMediaAudio, InputMediaPhoto, InputMediaVideo,
                      LinkPreviewOptions)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError

from shared.clients.files import FetchFailed, Probe, TooBig, fetch, probe, shared_http
from shared.clients.ladder import LIMITS, MB, Limits, Route, group_plan, plan
from shared.clients.telegram import chat_action, markup, notify, with_retry
from shared.domain.decode import make_preview
from shared.domain.screen import Button


log = logging.getLogger("delivery")
T = TypeVar("T")
DOWNLOAD_TIMEOUT_S = 120.0  # a whole download, on top of httpx's per-read timeouts
SEND_READ_TIMEOUT_S = 60.0  # Telegram fetches or processes a file before it answers
ACTION_REPEAT_S = 4.0  # a chat action shows for at most 5 s

KIND = {"image": "photo", "video": "video", "audio": "audio"}  # output -> Bot API media kind
MEDIA = {"photo": InputMediaPhoto, "video": InputMediaVideo, "audio": InputMediaAudio}
MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"))
DEFAULT_EXT = {"photo": ".png", "video": ".mp4", "audio": ".mp3", "document": ".bin"}


@dataclass(frozen=True)
class Words:
    """The finished words the ladder may need (shared/ui/results.py `delivery_words` writes them)."""

    original: str  # the caption of the original file sent after a preview
    actions: str  # the message that carries the buttons after an album
    too_big: str  # why a link, when Telegram would not take the file
    not_sent: str  # why a link, when sending failed
    link: str  # one download link: {url} and {size}
    expiry: str  # how long the links work
    megabytes: str  # the unit after a size
    decimal: str = "."  # the decimal separator of the language (24,8 МБ; 24.8 MB)


def _sniffed(data: bytes | None) -> str | None:
    """The extension an image's first bytes say (the bytes are the truth, not the URL)."""
    if not data:
        return None
    if data[:4] == b"RIFF":
        return ".webp" if data[8:12] == b"WEBP" else None
    return next((ext for magic, ext in MAGIC if data.startswith(magic)), None)


def _filename(item: Probe, kind: str, data: bytes | None = None) -> str:
    name = re.sub(r"[^\w.\-]", "_", unquote(os.path.basename(urlsplit(item.url).path)))[-64:].lstrip(".")
    stem, ext = os.path.splitext(name)
    sniffed = _sniffed(data)
    if sniffed:
        same = ext.lower() in (sniffed, ".jpeg" if sniffed == ".jpg" else sniffed)
        return name if same else (stem or "result") + sniffed
    if ext:
        return name
    ext = mimetypes.guess_extension(item.content_type) if item.content_type else None
    return (name or "result") + (ext or DEFAULT_EXT.get(kind, ".bin"))


def _size_mb(size: int, decimal: str = ".") -> str:
    return f"{size / MB:.1f}".rstrip("0").rstrip(".").replace(".", decimal) if size < 10 * MB else str(round(size / MB))


# --- sending --------------------------------------------------------------------------------------

class _Stop(Exception):
    """Nothing more can reach this chat now (blocked, chat gone, long flood wait)."""


@dataclass
class _Delivery:
    bot: Bot
    chat_id: int
    output: str
    http: httpx.AsyncClient
    limits: Limits
    words: Words
    delivered: list[int] = field(default_factory=list)  # every message sent, in order
    files: list[dict[str, str]] = field(default_factory=list)  # Telegram file ids, to re-send without a charge
    as_file: bool = False  # images go as the original document after a preview (ladder.plan)

    def plan(self, item: Probe, size: int | None = None) -> Route:
        return plan(self.output, item.size if size is None else size, item.content_type, self.limits, self.as_file)

    def keep_file(self, message: Any) -> None:
        for kind in ("photo", "video", "audio", "document"):
            media = getattr(message, kind, None)
            if media:
                file_id = media[-1].file_id if isinstance(media, (list, tuple)) else media.file_id
                self.files.append({"kind": kind, "file_id": file_id})
                return

    @property
    def kind(self) -> str:
        return KIND.get(self.output, "document")

    def upload_limit(self, kind: str) -> int:
        return self.limits.photo_upload if kind == "photo" else self.limits.file_upload

    async def call(self, what: str, make: Callable[[], Awaitable[T]]) -> T | None:
        """The call's result, or None when Telegram refused it (the caller falls back)."""
        try:
            return await with_retry(make)
        except (Forbidden, InvalidToken, ChatMigrated, RetryAfter) as err:
            raise _Stop(f"{what}: {err}") from err
        except BadRequest as err:
            if "chat not found" in str(err).lower():
                raise _Stop(f"{what}: {err}") from err
            log.warning("%s refused: %s", what, err)
        except TelegramError as err:
            log.warning("%s failed: %s", what, err)
        return None

    @contextlib.asynccontextmanager
    async def showing(self, action: str) -> AsyncIterator[None]:
        """The chat action now, then again every few seconds until the block ends."""
        await chat_action(self.bot, self.chat_id, action)

        async def repeat() -> None:
            while True:
                await asyncio.sleep(ACTION_REPEAT_S)
                await chat_action(self.bot, self.chat_id, action)

        task = asyncio.create_task(repeat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def send_media(self, kind: str, media: str | bytes, caption: str | None,
                         markup: InlineKeyboardMarkup | None, filename: str | None = None) -> int | None:
        method = getattr(self.bot, f"send_{kind}")
        kwargs: dict[str, Any] = {"caption": caption, "parse_mode": ParseMode.HTML if caption else None,
                                  "reply_markup": markup, "read_timeout": SEND_READ_TIMEOUT_S}
        if isinstance(media, bytes):
            kwargs["filename"] = filename
        if kind == "video":
            kwargs["supports_streaming"] = True
        how = "by URL" if isinstance(media, str) else f"upload of {len(media)} bytes"
        message = await self.call(f"send_{kind} ({how})", lambda: method(self.chat_id, media, **kwargs))
        if message is None:
            return None
        self.delivered.append(message.message_id)
        self.keep_file(message)
        return message.message_id

    async def fetch(self, item: Probe, limit: int) -> bytes | None:
        """The file's bytes, or None if it fails or is bigger than `limit`."""
        if item.size is not None and item.size > limit:
            return None
        try:
            return await fetch(self.http, item.url, limit, DOWNLOAD_TIMEOUT_S)
        except (TooBig, FetchFailed) as err:
            log.warning("download failed: %s", err)
            return None

    # One file ----------------------------------------------------------------------------------

    async def send_one(self, item: Probe, caption: str | None, markup: InlineKeyboardMarkup | None) -> list[int]:
        route = self.plan(item)
        limit = self.upload_limit(self.kind)
        if route is Route.URL:
            sent = await self.send_media(self.kind, item.url, caption, markup)
            if sent is not None:
                return [sent]
            # Telegram could not fetch or take it by URL: download and upload once.
            route, limit = Route.UPLOAD, self.limits.download_max
        data: bytes | None = None
        if route is Route.UPLOAD:
            sent = None
            async with self.showing(self.kind):
                data = await self.fetch(item, limit)
                if data is not None:
                    route = self.plan(item, len(data))
                    if route in (Route.URL, Route.UPLOAD):
                        sent = await self.send_media(self.kind, data, caption, markup, _filename(item, self.kind))
            if sent is not None:
                return [sent]
            if data is None or self.kind != "photo":
                return await self.send_link([item], caption, markup, too_big=False)
            if route is not Route.DOCUMENT:
                route = Route.PREVIEW  # not taken as a photo (dimensions, format): preview + document
        if route is Route.PREVIEW:
            return await self.send_preview(item, data, caption, markup)
        if route is Route.DOCUMENT:
            return await self.send_document(item, data, caption, markup, link_caption=caption)
        return await self.send_link([item], caption, markup, too_big=True)

    async def send_preview(self, item: Probe, data: bytes | None, caption: str | None,
                           markup: InlineKeyboardMarkup | None) -> list[int]:
        """A small JPEG as the photo (with the caption), then the original as a document or a link."""
        if data is None and item.size is not None and item.size > self.limits.download_max:
            return await self.send_link([item], caption, markup, too_big=True)  # no bytes to preview
        preview_id = None
        async with self.showing("photo"):
            if data is None:
                data = await self.fetch(item, self.limits.download_max)
            preview = await asyncio.to_thread(make_preview, data, self.limits.preview_side) if data else None
            if preview is not None:
                preview_id = await self.send_media("photo", preview, caption, None, "preview.jpg")
        if preview_id is None:
            return await self.send_document(item, data, caption, markup, link_caption=caption)
        original = self.words.original
        return [preview_id] + await self.send_document(item, data, original, markup, link_caption=None)

    async def send_document(self, item: Probe, data: bytes | None, caption: str | None,
                            markup: InlineKeyboardMarkup | None, link_caption: str | None) -> list[int]:
        """The original file as a document (upload only: Telegram takes few types by URL), else a link."""
        limit = self.limits.file_upload
        sent = None
        if max(item.size or 0, len(data) if data else 0) <= limit:
            async with self.showing("document"):
                if data is None:
                    data = await self.fetch(item, limit)
                if data is not None and len(data) <= limit:
                    sent = await self.send_media("document", data, caption, markup, _filename(item, "document", data))
        if sent is not None:
            return [sent]
        too_big = max(item.size or 0, len(data) if data else 0) > limit
        return await self.send_link([item], link_caption, markup, too_big)

    async def send_link(self, items: Sequence[Probe], caption: str | None,
                        markup: InlineKeyboardMarkup | None, too_big: bool) -> list[int]:
        """The last resort: the caption, why, the download link(s) and how long they work."""
        lines = [self.words.too_big if too_big else self.words.not_sent]
        for item in items:
            size = f" ({_size_mb(item.size, self.words.decimal)} {self.words.megabytes})" if item.size else ""
            lines.append(self.words.link.format(url=html.escape(item.url, quote=True), size=size))
        lines.append(self.words.expiry)
        text = "\n".join(lines)
        if caption:
            text = f"{caption}\n\n{text}"
        message_id = await notify(self.bot, self.chat_id, text, reply_markup=markup,
                                  link_preview_options=LinkPreviewOptions(is_disabled=True))
        if message_id is None:
            return []
        self.delivered.append(message_id)
        return [message_id]

    # Several files -----------------------------------------------------------------------------

    async def send_many(self, items: Sequence[Probe], caption: str | None,
                        markup: InlineKeyboardMarkup | None) -> list[int]:
        routes = [self.plan(item) for item in items]
        chunks, alone = group_plan(routes)
        sent: list[int] = []
        for chunk in chunks:
            ids = await self.send_group([items[i] for i in chunk], [routes[i] for i in chunk], caption)
            if ids:
                sent += ids
                caption = None
            else:
                alone += chunk  # each file then takes its own way down the ladder
        for i in sorted(alone):
            ids = await self.send_one(items[i], caption, None)
            if ids:
                sent += ids
                caption = None
        if markup is not None and sent:
            message_id = await notify(self.bot, self.chat_id, self.words.actions, reply_markup=markup)
            if message_id is not None:
                self.delivered.append(message_id)
                sent.append(message_id)
        return sent

    async def send_group(self, items: Sequence[Probe], routes: Sequence[Route], caption: str | None) -> list[int] | None:
        """One album; URLs Telegram cannot fetch make it upload everything once; None if that fails too."""
        limit = self.upload_limit(self.kind)
        data: list[bytes | None] = [None] * len(items)
        uploads = [i for i, route in enumerate(routes) if route is Route.UPLOAD]
        for attempt in range(2):
            async with (self.showing(self.kind) if uploads else contextlib.nullcontext()):
                fetched = await asyncio.gather(*(self.fetch(items[i], limit) for i in uploads))
                if any(d is None for d in fetched):
                    return None
                for i, d in zip(uploads, fetched):
                    data[i] = d
                ids = await self.send_album(items, data, caption)
            uploads = [i for i in range(len(items)) if data[i] is None]
            if ids or not uploads:  # sent, or already all uploaded: nothing left to try here
                return ids
        return None

    async def send_album(self, items: Sequence[Probe], data: Sequence[bytes | None], caption: str | None) -> list[int] | None:
        media_class = MEDIA[self.kind]
        media = []
        for i, (item, content) in enumerate(zip(items, data)):
            options: dict[str, Any] = {}
            if i == 0 and caption:
                options.update(caption=caption, parse_mode=ParseMode.HTML)
            if content is not None:
                options["filename"] = _filename(item, self.kind)
            if self.kind == "video":
                options["supports_streaming"] = True
            media.append(media_class(content if content is not None else item.url, **options))
        messages = await self.call(f"send_media_group ({len(media)} items)",
                                   lambda: self.bot.send_media_group(self.chat_id, media,
                                                                     read_timeout=SEND_READ_TIMEOUT_S))
        if not messages:
            return None
        ids = [m.message_id for m in messages]
        self.delivered.extend(ids)
        for message in messages:
            self.keep_file(message)
        return ids


async def send_result(bot: Bot, chat_id: int, output: str, urls: list[str], caption: str,
                      buttons: list[list[Button]] | None = None, http: httpx.AsyncClient | None = None,
                      *, words: Words, limits: Limits | None = None,
                      files: list[dict[str, str]] | None = None, as_file: bool = False) -> list[int]:
    """Deliver result files the way Telegram users expect; returns the ids of the messages sent.

    One file carries the buttons itself; several go as albums with the buttons on a follow-up
    message. Never raises for Telegram or HTTP problems: it falls back, down to a link message, and
    returns [] only if even that could not be sent. `words` are the texts of links and follow-ups;
    `as_file`: an image goes as its original file after a preview (ladder.plan).
    """
    if not urls:
        log.warning("no result files to send")
        return []
    http = http or shared_http()
    reply_markup = markup(buttons or [])
    delivery = _Delivery(bot, chat_id, output, http, limits or LIMITS, words, as_file=as_file)
    items = list(await asyncio.gather(*(probe(http, url) for url in urls)))
    log.info("delivering %d %s file(s): %s", len(items), output, [(delivery.plan(i).value, i.size) for i in items])
    try:
        if len(items) == 1:
            await delivery.send_one(items[0], caption, reply_markup)
        else:
            await delivery.send_many(items, caption, reply_markup)
    except _Stop as err:
        log.warning("delivery stopped: %s", err)
    except (httpx.HTTPError, TelegramError, OSError) as err:  # a safety net: the ladder catches these itself
        log.exception("delivery failed: %s", err)
    if files is not None:
        files.extend(delivery.files)
    return list(delivery.delivered)
