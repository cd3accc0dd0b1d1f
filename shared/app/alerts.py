"""Messages to the admins (ADMIN_IDS who have talked to the bot), each in their language: jobs to review, our
provider account refused."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from shared.clients import telegram
from shared.domain.jobs import Job
from shared.domain.screen import Screen
from shared.ui.admin import notices

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("alerts")
ACCESS_ALERT_EVERY = timedelta(minutes=15)  # one "our key was refused" alert per quarter hour, however many jobs


async def tell_admins(c: "Container", render: Callable[[str], Screen]) -> int:
    """Send `render(lang)` to every admin who has talked to the bot, in their language; how many got it."""
    sent = 0
    for admin in await c.store.users.with_chats(c.settings.admin_ids):
        if await telegram.send(c.bot, admin.user_id, render(admin.language)) is not None:
            sent += 1
    return sent


async def review(c: "Container", jobs: list[Job]) -> None:
    """One message listing jobs flagged for review (`review` on the job says why, in the console too)."""
    if not jobs:
        return
    log.warning("flagged for review: %s", [(j.id, j.review) for j in jobs])
    await tell_admins(c, lambda lang: notices.review(lang, jobs))


async def provider_access(c: "Container", code: int, message: str) -> None:
    """Our provider key was refused (401 invalid, 433 usage cap, 505 feature disabled): at most one alert
    per ACCESS_ALERT_EVERY, claimed in a transaction so parallel workers do not all send it."""
    log.error("provider refused our account: %s %s", code, message)
    if await c.store.admin.claim_alert("provider_access", ACCESS_ALERT_EVERY):
        await tell_admins(c, lambda lang: notices.access_refused(lang, code, message))
