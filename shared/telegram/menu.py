"""The main menu, help, the payment support and terms texts, and the replies to what the bot does not know."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.domain.screen import Screen
from shared.domain.users import PARKED, User
from shared.telegram import reply
from shared.ui import catalog, talk
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def start(c: "Container", update: Update, user: User) -> None:
    """/start: welcome, balance, main menu (a search or a typed amount the bot was waiting for ends here)."""
    if user.awaiting and user.awaiting != PARKED:
        await c.store.users.set_fields(user.user_id, awaiting=None)
    await _menu(c, update, user, welcome=True)


async def home(c: "Container", update: Update, user: User) -> None:
    await _menu(c, update, user, welcome=False)


async def _menu(c: "Container", update: Update, user: User, welcome: bool) -> None:
    free = await c.free_tier()
    await reply.show(update, catalog.main_menu(user.language, user.balance_kopecks, len(await c.enabled_models()),
                                               len(free), c.settings.free_daily_limit, welcome=welcome))


async def help(c: "Container", update: Update, user: User) -> None:
    free = await c.free_tier()
    await reply.show(update, talk.with_support(catalog.help_screen(user.language, len(free), c.settings.free_daily_limit),
                                               user.language, c.settings.support_contact))


async def paysupport(c: "Container", update: Update, user: User) -> None:
    """/paysupport (Telegram requires it for Stars sellers)."""
    screen = Screen(c.settings.paysupport_text) if c.settings.paysupport_text else say(user.language, "paysupport")
    await reply.send(update, talk.with_support(screen, user.language, c.settings.support_contact))


async def terms(c: "Container", update: Update, user: User) -> None:
    await reply.send(update, Screen(c.settings.terms_text) if c.settings.terms_text else say(user.language, "terms"))


async def unknown(c: "Container", update: Update, user: User) -> None:
    await reply.send(update, say(user.language, "unknown"))


async def stale(c: "Container", update: Update, user: User, *args: str) -> None:
    """Callback data no button of ours makes (forged, or from an older version): the stale-form reply."""
    await reply.send(update, say(user.language, "stale"))


async def nothing(c: "Container", update: Update, user: User, *args: str) -> None:
    """A button that only shows something (a page number): answered, nothing else."""


async def park(c: "Container", update: Update, user: User) -> None:
    """After a command: an open draft is parked (typed text no longer lands in it) and offered back. Told once
    per parking: a user already parked is not asked again (and costs no read)."""
    if user.awaiting == PARKED:
        return
    job = await c.store.drafts.current(user.user_id)
    if job is None:
        return
    await c.store.users.set_fields(user.user_id, awaiting=PARKED)
    await reply.send(update, talk.parked(user.language, job, c.catalog.get(job.model_id)))
