"""The catalog sync for admins: its last report, and running it now (a worker task: a sync takes a minute)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app.tasks import enqueue_catalog_sync
from shared.domain.clock import utcnow
from shared.domain.users import User
from shared.telegram import reply
from shared.ui.admin import sync

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def report(c: "Container", update: Update, user: User) -> None:
    await reply.show(update, sync.details(user.language, await c.store.catalog_sync.latest()))


async def run_now(c: "Container", update: Update, user: User) -> None:
    # One run per minute however often it is pressed: Cloud Tasks refuses a second task of the same name.
    await enqueue_catalog_sync(c, user.user_id, utcnow().strftime("%Y%m%d%H%M"))
    await reply.send(update, sync.started(user.language))
