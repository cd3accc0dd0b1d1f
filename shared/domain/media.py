"""Files users send for media inputs: what Telegram says about them (only good for refusing early),
what we measured by decoding their bytes (what prices and caps use), and the checks on both."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from shared.catalog import FieldSpec
from shared.domain.validation import InputProblem, InvalidInput

TELEGRAM_DOWNLOAD_LIMIT_MB = 20  # Bot API getFile refuses larger files
MB = 1024 * 1024
MAX_PIXELS = 50_000_000  # a bigger picture is refused before it is decoded (a decompression bomb)
MAX_MEDIA_SECONDS = 3600  # decoding stops here: no model takes longer recordings
# Telegram sends photos as JPEG; some fields list "image/jpg" or "audio/mp3" spellings.
ALIASES = {"image/jpg": "image/jpeg", "audio/mp3": "audio/mpeg", "audio/x-wav": "audio/wav", "audio/m4a": "audio/mp4"}


@dataclass(frozen=True)
class IncomingFile:
    """What the Telegram message says about a file. The sender controls all of it except the size."""

    kind: str  # image | audio | video | other
    file_id: str
    mime: str
    size: int | None = None
    media_group: str | None = None


@dataclass(frozen=True)
class Format:
    """A file format recognised by its first bytes."""

    name: str  # our short name, also the file extension
    kind: str  # image | audio | av (audio, or video when it has a picture stream)
    mime: str
    decoder: str  # Pillow format or FFmpeg demuxer that reads it


@dataclass(frozen=True)
class Measured:
    """A file as decoded from its bytes: the only source of sizes, lengths and formats we price by."""

    kind: str  # image | audio | video
    mime: str
    ext: str
    size: int
    sha256: str
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None

    def record(self, url: str) -> dict[str, object]:
        """What the draft keeps for this file (jobs.media)."""
        return {"url": url, "size": self.size, "mime": self.mime, "sha256": self.sha256,
                "duration_s": self.duration_s, "width": self.width, "height": self.height}


class Unmeasurable(Exception):
    """The bytes do not decode as a file we can measure."""

    def __init__(self, code: str, **params: object):  # code: a problem_<code> text
        super().__init__(code)
        self.code = code
        self.params = params

    def problem(self, field: FieldSpec) -> InvalidInput:
        return _fail(field, self.code, **self.params)


def sniff(head: bytes) -> Format | None:
    """The format of a file from its magic bytes; None when it is none we read. Choosing the decoder
    ourselves also keeps FFmpeg from probing into formats that open other files (playlists)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Format("jpg", "image", "image/jpeg", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Format("png", "image", "image/png", "PNG")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Format("webp", "image", "image/webp", "WEBP")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Format("gif", "image", "image/gif", "GIF")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Format("wav", "audio", "audio/wav", "wav")
    if head.startswith(b"OggS"):
        return Format("ogg", "audio", "audio/ogg", "ogg")
    if head.startswith(b"fLaC"):
        return Format("flac", "audio", "audio/flac", "flac")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return Format("mov", "av", "video/quicktime", "mov")
        if brand in (b"M4A ", b"M4B "):
            return Format("m4a", "audio", "audio/mp4", "mov")
        return Format("mp4", "av", "video/mp4", "mov")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Format("mkv", "av", "video/x-matroska", "matroska")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return Format("wma", "audio", "audio/x-ms-wma", "asf")
    if head.startswith(b"ID3"):
        return Format("mp3", "audio", "audio/mpeg", "mp3")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS sync, layer 0
        return Format("aac", "audio", "audio/aac", "aac")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame
        return Format("mp3", "audio", "audio/mpeg", "mp3")
    return None


def av_format(fmt: Format, has_picture: bool) -> Format:
    """An audio/video container once we know whether it carries a moving picture."""
    if fmt.kind != "av":
        return fmt
    if has_picture:
        return Format(fmt.name, "video", fmt.mime, fmt.decoder)
    if fmt.decoder == "mov":
        return Format("m4a", "audio", "audio/mp4", fmt.decoder)
    return Format("mka", "audio", "audio/x-matroska", fmt.decoder)


def whole_tenths(seconds: float) -> float:
    """Encoders pad a few frames (a 5 s MP3 decodes to 5.02 s): floor to 0.1 s so nobody pays a padding second."""
    return int(seconds * 10 + 1e-6) / 10


def stored_name(ext: str) -> str:
    """The name a file gets at the provider: 128 random bits, never anything the sender chose, so a
    later upload can neither guess nor replace it."""
    return f"{secrets.token_hex(16)}.{ext}"


def byte_limit(field: FieldSpec) -> int:
    """The most we download for this field: Telegram's getFile limit, or the model's own if lower."""
    limit = TELEGRAM_DOWNLOAD_LIMIT_MB * MB
    return min(limit, int(field.max_file_mb * MB)) if field.max_file_mb else limit


def _norm(mime: str) -> str:
    return ALIASES.get(mime.lower(), mime.lower())


def _fail(field: FieldSpec, code: str, **params: object) -> InvalidInput:
    return InvalidInput(InputProblem(field=field.name, code=code, params=params))


def _check_kind_and_format(field: FieldSpec, kind: str, mime: str) -> None:
    if kind != field.type:
        raise _fail(field, f"want_{field.type}")
    allowed = {_norm(m) for m in field.file_types}
    if allowed and _norm(mime) not in allowed:
        kinds = ", ".join(sorted({m.split("/")[-1].upper() for m in field.file_types}))
        raise _fail(field, "wrong_format", formats=kinds)


def check_file(field: FieldSpec, file: IncomingFile) -> None:
    """Before downloading: refuse what Telegram's description already rules out. Passing proves nothing."""
    _check_kind_and_format(field, file.kind, file.mime)
    check_size(field, file.size)


def check_room(field: FieldSpec, files_so_far: int) -> None:
    """Before downloading: a multi-file step that is full takes no more."""
    if field.multiple and files_so_far >= (field.max_count or 1):
        raise _fail(field, "too_many_files", max=field.max_count or 1)


def check_measured(field: FieldSpec, file: Measured) -> None:
    """After decoding: the real format, size and length against the model's limits."""
    _check_kind_and_format(field, file.kind, file.mime)
    check_size(field, file.size)
    limit = field.max_duration_s or MAX_MEDIA_SECONDS
    if file.duration_s is not None and file.duration_s > limit:
        raise _fail(field, "too_long_media", max=int(limit), seconds=int(file.duration_s + 0.999))


def check_size(field: FieldSpec, size: int | None) -> None:
    if size is not None and size > byte_limit(field):
        raise too_big(field, size)


def too_big(field: FieldSpec, size: int) -> InvalidInput:
    """The refusal of a file of `size` bytes, over Telegram's or the model's limit."""
    if size > TELEGRAM_DOWNLOAD_LIMIT_MB * MB:
        return _fail(field, "too_big_for_telegram", max=TELEGRAM_DOWNLOAD_LIMIT_MB, size=f"{size / MB:.1f}")
    return _fail(field, "too_big", max=f"{field.max_file_mb:g}", size=f"{size / MB:.1f}")
