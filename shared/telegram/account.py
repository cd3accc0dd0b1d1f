"""The account: balance with the latest operations, the whole ledger and the generation history (paged), the
invite link."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import account as pages
from shared.app.catalog import names
from shared.domain.pricing import rub_to_kopecks
from shared.domain.users import User
from shared.telegram import reply
from shared.ui import account

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def balance(c: "Container", update: Update, user: User) -> None:
    recent = await c.store.users.ledger_page(user.user_id, 5)
    await reply.show(update, account.balance_screen(user.language, user.balance_kopecks, recent,
                                                    names(c, user.language)))


async def ledger(c: "Container", update: Update, user: User, direction: str = "n", ms: str = "0") -> None:
    page = await pages.ledger(c, user.user_id, direction == "p", account.time_of(ms))
    await reply.show(update, account.ledger_screen(user.language, page.rows, page.total, names(c, user.language),
                                                   page.newer, page.older))


async def history(c: "Container", update: Update, user: User, direction: str = "n", ms: str = "0") -> None:
    page = await pages.history(c, user.user_id, direction == "p", account.time_of(ms))
    await reply.show(update, account.history_screen(user.language, page.rows, page.total, names(c, user.language),
                                                    page.newer, page.older))


async def referral(c: "Container", update: Update, user: User) -> None:
    s = c.settings
    await reply.show(update, account.referral_screen(user.language, pages.invite_link(c, user.user_id),
                                                     rub_to_kopecks(s.referral_welcome_rub), s.referral_percent,
                                                     user.referrals_count, user.referral_income_kopecks))
