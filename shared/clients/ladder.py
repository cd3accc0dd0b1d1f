"""Which way each result file goes to Telegram, from its size and type and Telegram's limits: the routes of
the delivery ladder (shared/clients/delivery.py). Pure."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence

from shared.clients.files import mime

MB = 1024 * 1024
MEDIA_GROUP_MAX = 10
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})  # what send_photo can show


@dataclass(frozen=True)
class Limits:
    """Byte limits of the cloud Bot API (a local Bot API server allows 2 GB uploads)."""

    photo_by_url: int = 5 * MB
    photo_upload: int = 10 * MB
    file_by_url: int = 20 * MB
    file_upload: int = 50 * MB
    download_max: int = 50 * MB  # never buffer more than this in memory
    preview_side: int = 1280


LIMITS = Limits()


class Route(str, Enum):
    URL = "url"  # send_photo/video/audio with the URL; Telegram fetches it
    UPLOAD = "upload"  # download, then upload as the same media type
    PREVIEW = "preview"  # image too big for a photo: a JPEG preview photo, then the original as a document
    DOCUMENT = "document"  # an image type send_photo cannot show (GIF, TIFF, HEIC...): upload as a document
    LINK = "link"  # too big for Telegram: a message with the download link and its expiry


def plan(output: str, size: int | None, content_type: str = "", limits: Limits | None = None,
         as_file: bool = False) -> Route:
    """How one result file goes to Telegram (P = photo_by_url 5 MB, U = photo_upload 10 MB,
    F = file_by_url 20 MB, D = file_upload 50 MB):

    | output                    | size (unknown: by URL first) | route                                   |
    |---------------------------|------------------------------|-----------------------------------------|
    | image (jpeg, png, webp)   | unknown or <= P              | URL                                     |
    | image (jpeg, png, webp)   | P < size <= U                | UPLOAD (the original bytes, PNG too)    |
    | image (jpeg, png, webp)   | > U                          | PREVIEW + original as a document (> D: a link) |
    | image (gif, tiff, svg...) | unknown or <= D / > D        | DOCUMENT / LINK                         |
    | video, audio              | unknown or <= F              | URL                                     |
    | video, audio              | F < size <= D                | UPLOAD                                  |
    | video, audio              | > D                          | LINK                                    |
    A refused URL send falls back to UPLOAD (bytes read up to D), a refused photo upload to PREVIEW.
    `as_file` (a model whose point is its pixels: a cut-out, an upscale): an image always goes as PREVIEW, so
    the original bytes arrive as a document, never recompressed by Telegram.
    """
    limits = limits or LIMITS
    ctype = mime(content_type)
    if output == "image":
        if ctype.startswith("image/") and ctype not in PHOTO_TYPES:
            return Route.DOCUMENT if size is None or size <= limits.file_upload else Route.LINK
        if as_file:
            return Route.PREVIEW
        if size is None or size <= limits.photo_by_url:
            return Route.URL
        return Route.UPLOAD if size <= limits.photo_upload else Route.PREVIEW
    if size is None or size <= limits.file_by_url:
        return Route.URL
    return Route.UPLOAD if size <= limits.file_upload else Route.LINK


def group_plan(routes: Sequence[Route]) -> tuple[list[list[int]], list[int]]:
    """Indices sent as media groups (2-10 each, no group of one) and indices sent one by one."""
    groupable = [i for i, route in enumerate(routes) if route in (Route.URL, Route.UPLOAD)]
    if len(groupable) < 2:
        return [], list(range(len(routes)))
    chunks = [groupable[i:i + MEDIA_GROUP_MAX] for i in range(0, len(groupable), MEDIA_GROUP_MAX)]
    if len(chunks[-1]) == 1:
        chunks[-1].insert(0, chunks[-2].pop())
    return chunks, [i for i in range(len(routes)) if i not in groupable]
