"""A finished screen as plain data: what a message says and its buttons. shared/ui/ makes them, the Telegram
client sends them; neither needs the other."""
from __future__ import annotations

from dataclasses import dataclass, field

Button = tuple[str, str]  # (text, callback data); data starting with URL_PREFIX opens a link instead
URL_PREFIX = "url:"


@dataclass
class Screen:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
