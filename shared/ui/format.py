"""Small formatting shared by every screen: escaping and clipping for HTML, numbers, Moscow times."""
from __future__ import annotations

import html
import re
from datetime import datetime

from shared.domain.clock import MOSCOW
from shared.domain.pricing import format_decimal


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


def number(x: float | int | None, lang: str = "ru") -> str:
    """12 for 12.0, 0,5 for 0.5 (0.5 in English); nothing for None."""
    if x is None:
        return ""
    return format_decimal(x, lang, places=6)


_DECIMAL = re.compile(r"-?\d+\.\d+")


def localized(lang: str, value: object) -> object:
    """A float, or a decimal number the domain wrote as text ("24.8"), in the language's separators."""
    if isinstance(value, float) or (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        return format_decimal(float(value), lang, places=6)
    return value


def when(value: datetime) -> str:
    """A time as people here read it: Moscow day and minute."""
    return value.astimezone(MOSCOW).strftime("%d.%m %H:%M")
