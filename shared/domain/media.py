"""Checks on a file a user sends for a media input, before anything is downloaded or charged."""
from __future__ import annotations

from dataclasses import dataclass

from shared.catalog import FieldSpec
from shared.domain.validation import InputProblem, InvalidInput

TELEGRAM_DOWNLOAD_LIMIT_MB = 20  # Bot API getFile refuses larger files
MB = 1024 * 1024
# Telegram sends photos as JPEG; some fields list "image/jpg" or "audio/mp3" spellings.
ALIASES = {"image/jpg": "image/jpeg", "audio/mp3": "audio/mpeg", "audio/x-wav": "audio/wav", "audio/m4a": "audio/mp4"}


@dataclass(frozen=True)
class IncomingFile:
    kind: str  # image | audio | video | other
    file_id: str
    mime: str
    size: int | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    file_name: str = "file"
    media_group: str | None = None


def _norm(mime: str) -> str:
    return ALIASES.get(mime.lower(), mime.lower())


def _fail(field: FieldSpec, code: str, **params: object) -> InvalidInput:
    return InvalidInput(InputProblem(field=field.name, code=code, params=params))


def check_file(field: FieldSpec, file: IncomingFile) -> None:
    if file.kind != field.type:
        raise _fail(field, f"want_{field.type}")
    allowed = {_norm(m) for m in field.file_types}
    if allowed and _norm(file.mime) not in allowed:
        kinds = ", ".join(sorted({m.split("/")[-1].upper() for m in field.file_types}))
        raise _fail(field, "wrong_format", formats=kinds)
    check_size(field, file.size)
    if field.max_duration_s and file.duration_s and file.duration_s > field.max_duration_s:
        raise _fail(field, "too_long_media", max=int(field.max_duration_s), seconds=int(file.duration_s + 0.999))


def check_size(field: FieldSpec, size: int | None) -> None:
    if size is None:
        return
    if size > TELEGRAM_DOWNLOAD_LIMIT_MB * MB:
        raise _fail(field, "too_big_for_telegram", max=TELEGRAM_DOWNLOAD_LIMIT_MB, size=f"{size / MB:.1f}")
    if field.max_file_mb and size > field.max_file_mb * MB:
        raise _fail(field, "too_big", max=f"{field.max_file_mb:g}", size=f"{size / MB:.1f}")
