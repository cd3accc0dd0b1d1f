"""Reading a JSON request body defensively: bounded in size, and any body that does not parse is just
"not JSON" (never an exception, so never a 5xx). Used by the public HTTP functions."""
from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1 << 20  # Telegram updates and KIE callbacks are a few KB; nothing legitimate comes near 1 MiB
TOO_LARGE = ("request body too large", 413)
NOT_JSON = ("bad request", 400)


def read_json(request: Any, max_bytes: int = MAX_BODY_BYTES) -> tuple[Any, tuple[str, int] | None]:
    """(the parsed body, None), or (None, the response to send): 413 past max_bytes, 400 when not JSON.
    The body is read at most max_bytes + 1 bytes far, whatever Content-Length says."""
    length = request.content_length
    if length is not None and length > max_bytes:
        return None, TOO_LARGE
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        return None, TOO_LARGE
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser goes
        return None, NOT_JSON
