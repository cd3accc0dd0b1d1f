"""What we learn from a file's bytes by decoding them (Pillow for pictures, PyAV/FFmpeg for sound and video),
and the JPEG preview of a picture too big to be a photo.

Nothing a sender controls is believed: not Telegram's duration or size fields, not the file name or
MIME type, not a container header's duration. Sound lasts as long as the samples that decode; a video
as long as its decoded frames' timestamps span; a picture is as large as the pixels that decode.
CPU-bound (run it in a worker thread); the libraries load on first use, so plain updates never pay for them.
"""
from __future__ import annotations

import hashlib
import io
import logging
import warnings
from typing import Any

from shared.domain.media import (MAX_MEDIA_SECONDS, MAX_PIXELS, Format, Measured, Unmeasurable, av_format, sniff,
                                 whole_tenths)

log = logging.getLogger("decode")


def measure(data: bytes) -> Measured:
    fmt = sniff(data[:64])
    if fmt is None:
        raise Unmeasurable("unreadable")
    digest = hashlib.sha256(data).hexdigest()
    if fmt.kind == "image":
        width, height = _picture(data, fmt)
        return Measured("image", fmt.mime, fmt.name, len(data), digest, width=width, height=height)
    fmt, seconds, width, height = _recording(data, fmt)
    return Measured(fmt.kind, fmt.mime, fmt.name, len(data), digest, whole_tenths(seconds), width, height)


def _picture(data: bytes, fmt: Format) -> tuple[int, int]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own, lower limit applies
            with Image.open(io.BytesIO(data), formats=[fmt.decoder]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Unmeasurable("too_many_pixels", megapixels=round(width * height / 1e6),
                                       max=MAX_PIXELS // 1_000_000)
                image.load()  # decodes every pixel: a truncated or corrupt picture fails here
    except Image.DecompressionBombError:
        raise Unmeasurable("too_many_pixels", megapixels=f"> {2 * Image.MAX_IMAGE_PIXELS // 1_000_000}",
                           max=MAX_PIXELS // 1_000_000) from None
    except Unmeasurable:
        raise
    except Exception as err:  # Pillow raises many kinds for broken files
        raise Unmeasurable("unreadable") from err
    return width, height


def _recording(data: bytes, fmt: Format) -> tuple[Format, float, int | None, int | None]:
    """(format, seconds, width, height): the sound's decoded samples, the picture's decoded frames."""
    import av
    from av.stream import Disposition

    try:
        # The demuxer is the one the magic bytes name: FFmpeg never guesses, so a playlist can't make it
        # open other files or URLs.
        with av.open(io.BytesIO(data), format=fmt.decoder) as container:
            picture = next((s for s in container.streams.video
                            if not s.disposition & Disposition.attached_pic), None)  # cover art is not video
            sound = container.streams.audio[0] if container.streams.audio else None
            fmt = av_format(fmt, picture is not None)
            streams = [s for s in (picture if fmt.kind == "video" else None, sound) if s is not None]
            if not streams:
                raise Unmeasurable("unreadable")
            seconds, size = _decode(container, streams)
    except Unmeasurable:
        raise
    except (av.error.FFmpegError, ValueError, EOFError) as err:
        raise Unmeasurable("unreadable") from err
    if seconds <= 0:
        raise Unmeasurable("unreadable")
    return fmt, seconds, *size


def _decode(container: Any, streams: list[Any]) -> tuple[float, tuple[int | None, int | None]]:
    """Decode until the end (or MAX_MEDIA_SECONDS): the longer of the sound and the picture, and the
    picture's size. A damaged packet is skipped: what decodes is what counts."""
    import av

    samples = 0.0  # seconds of decoded sound
    first: float | None = None  # the picture's earliest frame start and latest frame end, in seconds
    last = 0.0
    rate = next((s.average_rate for s in streams if s.type == "video" and s.average_rate), None)
    frame_s = 1 / float(rate) if rate else 0.0  # for frames that do not say how long they last
    size: tuple[int | None, int | None] = (None, None)
    for packet in container.demux(*streams):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            continue
        for frame in frames:
            if isinstance(frame, av.AudioFrame):
                samples += frame.samples / frame.sample_rate
            elif frame.pts is not None and frame.time_base is not None:
                start = float(frame.pts * frame.time_base)
                length = float(frame.duration * frame.time_base) if frame.duration else frame_s
                first = start if first is None else min(first, start)
                last = max(last, start + length)
                size = (frame.width, frame.height)
        seconds = max(samples, last - (first or 0.0))
        if seconds > MAX_MEDIA_SECONDS:
            break
    return max(samples, last - (first or 0.0)), size


def make_preview(data: bytes, side: int = 1280, quality: int = 85) -> bytes | None:
    """A JPEG no larger than side x side, or None if the bytes are not an image Pillow reads."""
    from PIL import Image, ImageOps  # only big images need Pillow

    try:
        with Image.open(io.BytesIO(data)) as source:
            source.draft("RGB", (side, side))  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(source)
            image.thumbnail((side, side))
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, (255, 255, 255))
                image.paste(rgba, mask=rgba.getchannel("A"))
            image = image.convert("RGB")
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=quality)
            return buf.getvalue()
    except Exception as err:  # Pillow raises many types for junk or huge input
        log.warning("could not make a preview: %s", err)
        return None
