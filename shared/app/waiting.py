"""Honest waiting: while the provider works, a `status` worker task every STATUS_EDIT_S edits the job's
"in progress" message with the time gone by and this model's typical time, and shows the chat action
(upload_photo, upload_video, record_voice). Bounded: it stops when the job is no longer running, at the
model's deadline, or after STATUS_EDITS_MAX edits; one message edit per tick is far below Telegram's limits."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from shared.app import settle
from shared.app.endings import close_status
from shared.app.tasks import Outcome
from shared.clients import telegram
from shared.domain.clock import utcnow
from shared.domain.jobs import JobState
from shared.ui import health as health_ui
from shared.ui import results

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def first_tick(c: "Container", job_id: str) -> None:
    await c.queue.enqueue(f"{job_id}-status-1", {"kind": "status", "job_id": job_id, "tick": 1},
                          delay=timedelta(seconds=c.settings.status_edit_s))


async def tick(c: "Container", job_id: str, tick_no: int) -> Outcome:
    job = await c.store.jobs.get(job_id)
    if job is None or job.state != JobState.RUNNING or not job.started_at:
        return Outcome.DONE
    model = c.catalog.get(job.model_id)
    await telegram.chat_action(c.bot, job.chat_id, model.output if model else "image")
    if job.status_message_id:
        elapsed = (utcnow() - job.started_at).total_seconds()
        typical = ((await c.model_health()).get(job.model_id) or {}).get("typical_s")
        screen = health_ui.waiting(job.lang, model, job.request_id or "", elapsed, typical)
        await telegram.edit(c.bot, job.chat_id, job.status_message_id, screen)
        now = await c.store.jobs.get(job_id)  # it may have ended while we edited: its final line wins
        if now is not None and now.terminal:
            final = results.status_done if now.state == JobState.SUCCEEDED else results.status_failed
            await close_status(c, now, final(now.lang, now, model))
            return Outcome.DONE
    if tick_no < c.settings.status_edits_max and not settle.past_deadline(c, job):
        await c.queue.enqueue(f"{job_id}-status-{tick_no + 1}", {"kind": "status", "job_id": job_id,
                                                                 "tick": tick_no + 1},
                              delay=timedelta(seconds=c.settings.status_edit_s))
    return Outcome.DONE
