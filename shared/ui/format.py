"""Small formatting shared by every screen: escaping and clipping for HTML, numbers, Moscow times."""
from __future__ import annotations

import html
from datetime import datetime

from shared.domain.clock import MOSCOW


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def esc_clip(value: object, limit: int) -> str:
    """A value for an HTML screen: cut first, then escaped (cutting escaped text splits `&amp;` and tags)."""
    return html.escape(clip(str(value), limit))


def fit_lines(lines: list[str], room: int) -> str:
    """As many whole lines as fit in `room` characters (a cut mid-line could split a tag)."""
    kept, used = [], 0
    for line in lines:
        if used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def number(x: float | int | None) -> str:
    """12 for 12.0, 0.5 for 0.5; nothing for None."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def when(value: datetime) -> str:
    """A time as people here read it: Moscow day and minute."""
    return value.astimezone(MOSCOW).strftime("%d.%m %H:%M")
