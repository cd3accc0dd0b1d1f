"""Request codes (RQ-xxxxxxxx, shared.domain.jobs.new_request_id) typed by users: found in a message, in any
case."""
from __future__ import annotations

import re

CODE = re.compile(r"\bRQ-([0-9a-f]{8})\b", re.IGNORECASE)


def request_code(text: str | None) -> str | None:
    """The request code a short message quotes, as stored (RQ- and lower-case hex); None otherwise. A long text
    that mentions a code is a prompt, not a question about the code."""
    if not text or len(text) > 200:
        return None
    found = CODE.search(text)
    return f"RQ-{found.group(1).lower()}" if found else None
