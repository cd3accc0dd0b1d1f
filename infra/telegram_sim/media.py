"""File bytes: downloads by URL, Telegram's size limits, fabricated user files, photo sizes."""
import io
import mimetypes
import os
from urllib.parse import urlsplit

import httpx
from PIL import Image, ImageDraw

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
_MAGIC = {"video": b"\x00\x00\x00\x18ftypmp42", "animation": b"\x00\x00\x00\x18ftypmp42",
          "audio": b"ID3\x04\x00\x00\x00\x00\x00\x00", "voice": b"OggS\x00\x02",
          "document": b"%PDF-1.4\n"}


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
    color = ((seed * 67) % 200 + 40, (seed * 131) % 200 + 40, (seed * 29) % 200 + 40)
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([width // 4, height // 4, width * 3 // 4, height * 3 // 4], outline=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def pad(content, size):
    """Grow content to `size` bytes (trailing bytes after a PNG's IEND are ignored by readers)."""
    return content + b"\x00" * max(0, size - len(content))


def fabricate(kind, size):
    return pad(_MAGIC.get(kind, b""), size)


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
