"""Admin statistics: the table for today, 7 or 30 days, then its chart (drawn with Pillow, which only this
screen loads)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import admin
from shared.domain.users import User
from shared.telegram import reply
from shared.ui.admin import panel
from shared.ui.admin.chart import render_chart

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def stats(c: "Container", update: Update, user: User, days: str = "1") -> None:
    result = await admin.statistics(c, int(days))
    await reply.send(update, panel.stats(user.language, days, result))
    await reply.photo(update, render_chart(result, user.language), "stats.png")
