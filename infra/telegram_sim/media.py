"""File bytes: downloads by URL, Telegram's size limits, fabricated user files, photo sizes."""
import io
import mimetypes
import os
from urllib.parse import urlsplit

import httpx
from PIL import Image

from infra import media_samples

from .errors import bad_request

MB = 1024 * 1024
URL_LIMIT = {"photo": 5 * MB}  # Telegram's limits for files sent by URL ...
URL_LIMIT_DEFAULT = 20 * MB
UPLOAD_LIMIT = {"photo": 10 * MB}  # ... and for multipart uploads
UPLOAD_LIMIT_DEFAULT = 50 * MB
GETFILE_LIMIT = 20 * MB
THUMB_SIDES = (90, 320, 800, 1280)
MAX_PHOTO_SIDE = 2560
# sendDocument by URL only works for these types on real Telegram.
DOCUMENT_URL_MIMES = {"application/pdf", "application/zip", "image/gif"}

KIND_DIRS = {"photo": "photos", "video": "videos", "audio": "music", "document": "documents",
             "voice": "voice", "animation": "animations", "video_note": "video_notes"}
DEFAULT_MIME = {"photo": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg",
                "voice": "audio/ogg", "animation": "video/mp4", "document": "application/octet-stream"}
# A fabricated user file is encoded for at most this long (the Bot API object still reports
# the `duration` asked for), so a test asking for an hour-long audio stays fast.
MAX_REAL_SECONDS = 300
# Fabricated documents: real files for these extensions, placeholder bytes for the rest.
DOCUMENT_SAMPLES = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".mp3": "mp3",
                    ".ogg": "ogg", ".oga": "ogg", ".opus": "ogg", ".wav": "wav", ".mp4": "mp4",
                    ".txt": "txt"}


def url_limit(kind):
    return URL_LIMIT.get(kind, URL_LIMIT_DEFAULT)


def upload_limit(kind):
    return UPLOAD_LIMIT.get(kind, UPLOAD_LIMIT_DEFAULT)


def is_url(value):
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def download(url, kind, timeout=15.0):
    """Fetch a file like Telegram does; returns (content, mime_type, file_name)."""
    limit = url_limit(kind)
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise bad_request("failed to get HTTP URL content")
            declared = int(response.headers.get("content-length") or 0)
            if declared > limit:
                raise bad_request("failed to get HTTP URL content")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:  # stop reading, like Telegram, instead of buffering it all
                    raise bad_request("failed to get HTTP URL content")
                chunks.append(chunk)
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.HTTPError:
        raise bad_request("failed to get HTTP URL content") from None
    name = os.path.basename(urlsplit(url).path) or "file"
    return b"".join(chunks), mime or guess_mime(name, kind), name


def guess_mime(file_name, kind):
    return mimetypes.guess_type(file_name or "")[0] or DEFAULT_MIME.get(kind, "application/octet-stream")


def image_size(content):
    """(width, height) if the bytes are an image Pillow can read, else None."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            return image.size
    except Exception:  # Pillow raises many types for junk input
        return None


def make_png(width, height, seed=0):
    """A real, small, recognisable PNG of the given size."""
    return media_samples.png(width, height, f"#{seed}")


def pad(content, size, fmt=None):
    """Grow content to `size` bytes in a way readers of `fmt` ignore (see media_samples.pad)."""
    return media_samples.pad(content, fmt, size)


def fabricate(kind, size=None, duration=3, width=640, height=360, file_name=None, mime_type=None,
              header_duration=None):
    """A real file a simulated user sends: (content, mime_type), padded to `size` if that is larger.

    voice -> OGG/Opus (audio/ogg); audio -> MP3 (audio/mpeg); video -> H.264+AAC MP4 and
    animation -> silent MP4 (video/mp4) of `duration` seconds (at most MAX_REAL_SECONDS encoded)
    and width x height; document -> by the file name's extension (DOCUMENT_SAMPLES, default PDF;
    zero bytes for other types). An audio named .ogg/.oga/.opus/.wav is OGG/Opus or WAV. With
    `header_duration`, an MP3's Info header claims that many seconds (media_samples.mp3_claiming).
    """
    seconds = min(max(float(duration or 0), 0.1), MAX_REAL_SECONDS)
    width, height = int(width or 640), int(height or 360)
    fmt = _sample_format(kind, file_name, mime_type)
    make = {
        "png": lambda: media_samples.png(width, height, file_name or ""),
        "jpeg": lambda: media_samples.jpeg(width, height, file_name or ""),
        "pdf": lambda: media_samples.pdf(file_name or "document"),
        "txt": lambda: f"{file_name}: sent in the Telegram simulator\n".encode(),
        "mp4": lambda: media_samples.mp4(seconds, kind != "animation", width, height),
        "mp3": lambda: (media_samples.mp3_claiming(seconds, float(header_duration)) if header_duration
                        else media_samples.mp3(seconds)),
        "ogg": lambda: media_samples.ogg_opus(seconds),
        "wav": lambda: media_samples.wav(seconds),
    }.get(fmt)
    content = make() if make else b""
    mime = mime_type or (media_samples.MIME.get(fmt) if kind != "document" else None) \
        or guess_mime(file_name, kind)
    return pad(content, size or 0, fmt), mime


def _sample_format(kind, file_name, mime_type):
    ext = os.path.splitext(file_name or "")[1].lower() or mimetypes.guess_extension(mime_type or "") or ""
    by_ext = DOCUMENT_SAMPLES.get(ext)
    if kind == "document":
        return by_ext if ext else "pdf"
    if kind == "audio":
        return by_ext if by_ext in ("mp3", "ogg", "wav") else "mp3"
    return {"voice": "ogg", "video": "mp4", "animation": "mp4"}.get(kind)


def thumbnail_jpeg(content, side):
    """Downscale so the longer side is `side`; returns (jpeg_bytes, width, height)."""
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB")
        image.thumbnail((side, side))
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=80)
        return buf.getvalue(), image.width, image.height


def photo_variants(content):
    """Telegram returns several PhotoSize entries: thumbnails, then the full picture."""
    width, height = image_size(content)
    longest = max(width, height)
    variants = [thumbnail_jpeg(content, side) for side in THUMB_SIDES if side < longest]
    if longest > MAX_PHOTO_SIDE:
        variants.append(thumbnail_jpeg(content, MAX_PHOTO_SIDE))
    else:
        variants.append((content, width, height))
    return variants


def check_photo_dimensions(width, height):
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")


def extension(kind, mime, file_name):
    ext = os.path.splitext(file_name or "")[1]
    if ext:
        return ext.lower()
    guessed = mimetypes.guess_extension(mime or "")
    if guessed in (".jpe", ".jpeg"):
        return ".jpg"
    return guessed or {"voice": ".oga", "audio": ".mp3", "photo": ".jpg"}.get(kind, ".bin")
