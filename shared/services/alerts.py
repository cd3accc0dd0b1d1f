"""Messages to the admins (ADMIN_IDS who have talked to the bot): jobs to review, our provider account refused."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from shared.domain.jobs import Job
from shared.services import delivery
from shared.ui.screens import clip, esc
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("alerts")
ACCESS_ALERT_EVERY = timedelta(minutes=15)  # one "our key was refused" alert per quarter hour, however many jobs
REVIEW_LINES = 20  # jobs listed in one review message; the rest are counted


async def tell_admins(c: "Container", text: str) -> int:
    """Send `text` (HTML) to every admin chat; how many got it."""
    sent = 0
    for admin_id in [u.user_id for u in await c.store.users.with_chats(c.settings.admin_ids)]:
        if await delivery.notify(c.bot, admin_id, text) is not None:
            sent += 1
    return sent


async def review(c: "Container", jobs: list[Job]) -> None:
    """One message listing jobs flagged for review (`review` on the job says why, in the console too)."""
    if not jobs:
        return
    lines = [t("ru", "adm_review_line", rq=esc(j.request_id or j.id), user=j.user_id, model=esc(j.model_id),
               why=t("ru", f"adm_review_{j.review}")) for j in jobs[:REVIEW_LINES]]
    more = len(jobs) - REVIEW_LINES
    text = t("ru", "adm_review", count=len(jobs), lines="\n".join(lines))
    if more > 0:
        text += "\n" + t("ru", "adm_review_more", count=more)
    log.warning("flagged for review: %s", [(j.id, j.review) for j in jobs])
    await tell_admins(c, text)


async def provider_access(c: "Container", code: int, message: str) -> None:
    """Our provider key was refused (401 invalid, 433 usage cap, 505 feature disabled): at most one alert
    per ACCESS_ALERT_EVERY, claimed in a transaction so parallel workers do not all send it."""
    log.error("provider refused our account: %s %s", code, message)
    if await c.store.admin.claim_alert("provider_access", ACCESS_ALERT_EVERY):
        await tell_admins(c, t("ru", "adm_alert_access", code=code, message=esc(clip(message, 200))))
