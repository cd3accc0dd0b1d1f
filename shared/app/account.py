"""A user's account pages: their ledger and generation history, newest first, paged by a time cursor; their
invite link."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from shared.domain.money import REF_PREFIX, referral_code

if TYPE_CHECKING:
    from shared.bootstrap import Container

PAGE = 10
HISTORY_STATES = ["succeeded", "refunded", "failed", "running", "confirmed"]


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    newer: bool  # a newer page exists
    older: bool


async def _around(fetch: Callable[..., Awaitable[list[dict[str, Any]]]], newer: bool,
                  cursor: datetime | None) -> tuple[list[dict[str, Any]], bool, bool]:
    """One page of newest-first rows after (`newer`) or before a time cursor, and whether newer/older exist."""
    if newer and cursor:
        rows = await fetch(PAGE + 1, after=cursor)
        return rows[-PAGE:], len(rows) > PAGE, True
    rows = await fetch(PAGE + 1, before=cursor)
    return rows[:PAGE], cursor is not None, len(rows) > PAGE


async def ledger(c: "Container", user_id: int, newer: bool, cursor: datetime | None) -> Page:
    rows, has_newer, has_older = await _around(
        lambda size, **at: c.store.users.ledger_page(user_id, size, **at), newer, cursor)
    return Page(rows, await c.store.users.ledger_count(user_id), has_newer, has_older)


async def history(c: "Container", user_id: int, newer: bool, cursor: datetime | None) -> Page:
    rows, has_newer, has_older = await _around(
        lambda size, **at: c.store.jobs.history_page(user_id, size, HISTORY_STATES, **at), newer, cursor)
    return Page(rows, await c.store.jobs.history_count(user_id, HISTORY_STATES), has_newer, has_older)


def invite_link(c: "Container", user_id: int) -> str:
    return f"https://t.me/{c.bot.username}?start={REF_PREFIX}{referral_code(user_id)}"
