"""Admin broadcasts, the pure part: the text as it will be sent, pacing under Telegram's limits and the
outcomes of a batch's steps."""
from __future__ import annotations

import html
import re
from collections import deque
from enum import StrEnum
from typing import Any


# The tags of Telegram's HTML parse mode: a text typed with them (and no formatting) was meant as HTML.
TELEGRAM_TAGS = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|a|code|pre|tg-spoiler|span|blockquote|tg-emoji)"
                           r"(\s[^<>]*)?>", re.IGNORECASE)


def broadcast_html(text: str, formatted: str | None) -> str:
    """The broadcast as Telegram HTML. `formatted`: the admin's message with its formatting (bold, links...)
    as HTML, when it had any: kept as it is. Plain text with Telegram's tags in it is taken as HTML; any other
    text is escaped, so "<" and "&" arrive as typed."""
    if formatted is not None:
        return formatted
    return text if TELEGRAM_TAGS.search(text) else html.escape(text, quote=False)


class Lease(StrEnum):
    """Whether a batch may run (storage `take_lease`)."""

    TAKEN = "taken"
    BUSY = "busy"  # another delivery holds a live lease
    STALE = "stale"  # a newer batch took over
    FINISHED = "finished"  # done or cancelled
    MISSING = "missing"


class Commit(StrEnum):
    """What saving a batch's progress found (storage `commit`)."""

    OK = "ok"
    CANCELLED = "cancelled"  # progress written, the lease released: stop
    LOST = "lost"  # another batch took over after our lease passed: nothing written


class Sent(StrEnum):
    """One user's send."""

    SENT = "sent"
    BLOCKED = "blocked"  # Forbidden: blocked the bot or deactivated
    FAILED = "failed"
    SKIPPED = "skipped"  # banned
    DEFER = "defer"  # a flood wait past the batch's deadline: this user goes to the next batch


class Pacer:
    """At most `rate` sends in any `window` seconds, evenly spaced (1/rate apart), and nothing before
    a flood wait ends. Pure: the caller passes the clock."""

    def __init__(self, rate: float, window: float = 1.0):
        self.interval = 1.0 / rate
        self.window = window
        self.cap = max(1, int(rate * window))
        self.starts: deque[float] = deque(maxlen=self.cap)
        self.not_before = 0.0

    def delay(self, now: float) -> float:
        """Seconds to wait before the next send may start."""
        due = self.not_before
        if self.starts:
            due = max(due, self.starts[-1] + self.interval)
        if len(self.starts) == self.cap:
            due = max(due, self.starts[0] + self.window)
        return max(0.0, due - now)

    def record(self, now: float) -> None:
        self.starts.append(now)

    def hold(self, until: float) -> None:
        """Telegram said retry_after: no send starts before `until`."""
        self.not_before = max(self.not_before, until)


def handled_of(doc: dict[str, Any]) -> int:
    """Users a broadcast has dealt with so far, however it went."""
    return doc["sent"] + doc["failed"] + doc["blocked"] + doc["skipped"]
