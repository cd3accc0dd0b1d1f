"""The admin menu and its switches: maintenance, models on and off; the action log, the KIE balance."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import admin
from shared.clients.kie import KieError
from shared.domain.users import User
from shared.telegram import reply
from shared.ui.admin import panel

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def menu(c: "Container", update: Update, user: User) -> None:
    await reply.show(update, panel.menu(user.language, (await c.runtime())["maintenance"]))


async def action_log(c: "Container", update: Update, user: User) -> None:
    await reply.show(update, panel.action_log(user.language, await c.store.admin.recent_actions()))


async def models(c: "Container", update: Update, user: User, page: str = "0") -> None:
    runtime = await c.runtime()
    await reply.show(update, panel.models(user.language, c.catalog.models, await admin.health(c),
                                          set(runtime["disabled_models"]), int(page),
                                          delisted=set(runtime.get("delisted_models", {}))))


async def kie(c: "Container", update: Update, user: User) -> None:
    try:
        credits = await c.kie.credits()
    except KieError as err:
        await reply.send(update, panel.kie_error(user.language, err))
        return
    await reply.show(update, panel.kie(user.language, credits, c.settings.kie_low_credits))
