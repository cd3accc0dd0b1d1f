"""Files users send for media inputs: read them from the Telegram message, fetch, probe, upload to KIE."""
from __future__ import annotations

import io
import logging
import math
from typing import Any

from telegram import Bot, Message

from shared.domain.media import IncomingFile

log = logging.getLogger("media_input")


def incoming_file(message: Message) -> IncomingFile | None:
    group = message.media_group_id
    if message.photo:
        p = message.photo[-1]  # the largest size
        return IncomingFile("image", p.file_id, "image/jpeg", p.file_size, None, p.width, p.height,
                            f"{p.file_unique_id}.jpg", group)
    if message.voice:
        v = message.voice
        return IncomingFile("audio", v.file_id, v.mime_type or "audio/ogg", v.file_size, _seconds(v.duration),
                            file_name=f"{v.file_unique_id}.ogg", media_group=group)
    if message.audio:
        a = message.audio
        return IncomingFile("audio", a.file_id, a.mime_type or "audio/mpeg", a.file_size, _seconds(a.duration),
                            file_name=a.file_name or f"{a.file_unique_id}.mp3", media_group=group)
    if message.video:
        v = message.video
        return IncomingFile("video", v.file_id, v.mime_type or "video/mp4", v.file_size, _seconds(v.duration),
                            v.width, v.height, v.file_name or f"{v.file_unique_id}.mp4", group)
    if message.document:
        d = message.document
        mime = (d.mime_type or "application/octet-stream").lower()
        kind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "other")
        return IncomingFile(kind, d.file_id, mime, d.file_size, file_name=d.file_name or d.file_unique_id,
                            media_group=group)
    return None


def _seconds(duration: Any) -> float | None:
    if duration is None:
        return None
    return float(duration.total_seconds() if hasattr(duration, "total_seconds") else duration)


async def download(bot: Bot, file_id: str) -> bytes:
    tg_file = await bot.get_file(file_id)
    return bytes(await tg_file.download_as_bytearray())


def probe(file: IncomingFile, data: bytes) -> dict[str, Any]:
    """Size, and what Telegram did not tell: image dimensions, audio/video duration (libraries load lazily)."""
    meta: dict[str, Any] = {"size": len(data), "mime": file.mime, "duration_s": file.duration_s,
                            "width": file.width, "height": file.height}
    if file.kind == "image" and not file.width:
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                meta["width"], meta["height"] = image.size
        except Exception:  # an unreadable image keeps unknown dimensions (priced as the largest)
            log.warning("could not read image size")
    if file.kind in ("audio", "video") and file.duration_s is None:
        try:
            import mutagen

            info = mutagen.File(io.BytesIO(data))
            if info is not None and info.info is not None:
                # Encoders pad a few frames (a 5 s MP3 reads 5.07 s): floor to 0.1 s so nobody pays a padding second.
                meta["duration_s"] = math.floor(float(info.info.length) * 10) / 10
        except Exception:
            log.warning("could not read media duration")
    return meta


async def probe_url(url: str) -> dict[str, Any]:
    """Size and dimensions of an earlier result, for inputs priced by size (e.g. the upscaler)."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0)) as http:
            response = await http.get(url)
            response.raise_for_status()
    except httpx.HTTPError as err:
        log.warning("could not fetch an earlier result: %s", err)
        return {}
    mime = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    kind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "other")
    return probe(IncomingFile(kind, "", mime), response.content)
