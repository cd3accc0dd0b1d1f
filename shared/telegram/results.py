"""The buttons under a result: run it again (the same inputs, or a new prompt), feed it to another model, and a
past result sent again from /history."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram import Update

from shared.app import deliver, drafts
from shared.app.media import measure_url
from shared.catalog import ModelSpec
from shared.domain.chains import chain as chain_of
from shared.domain.chains import chains_for, task_source_ok
from shared.domain.jobs import Job, JobState
from shared.domain.media import check_measured
from shared.domain.users import User
from shared.domain.validation import InvalidInput
from shared.telegram import reply
from shared.telegram.wizard import next_step
from shared.ui import results, wizard
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container

PROMPTS = ("prompt", "text")


async def _finished(c: "Container", update: Update, user: User, job_id: str) -> Job | None:
    job = await c.store.jobs.get(job_id)
    if job is None or job.user_id != user.user_id or not job.terminal:
        await reply.send(update, say(user.language, "stale"))
        return None
    return job


async def _draft(c: "Container", update: Update, user: User, model: ModelSpec, inputs: dict[str, Any],
                 media: dict[str, list[dict]], skipped: list[str]) -> None:
    """A new draft prefilled from an earlier run; the wizard asks what is missing, then shows the price."""
    job = await drafts.prefill(c, user, update.effective_chat.id, model, inputs, media, skipped)
    if job is None:
        await reply.send(update, say(user.language, "stale"))
        return
    await next_step(c, update, user, job, model, new_message=True)


async def repeat(c: "Container", update: Update, user: User, job_id: str) -> None:
    job = await _finished(c, update, user, job_id)
    if job:
        await _draft(c, update, user, c.catalog.get(job.model_id), job.inputs, job.media, job.skipped)


async def reprompt(c: "Container", update: Update, user: User, job_id: str) -> None:
    """The same order with its prompt asked again (the wizard's first step for a model without one: a tool
    asks for its file), everything else kept."""
    job = await _finished(c, update, user, job_id)
    model = c.catalog.get(job.model_id) if job else None
    if job and model:
        ask = set(PROMPTS) if any(f.name in PROMPTS for f in model.fields) else {f.name for f in model.asked[:1]}
        inputs = {k: v for k, v in job.inputs.items() if k not in ask}
        skipped = [k for k in job.skipped if k not in ask]
        media = {k: v for k, v in job.media.items() if k not in ask}
        await _draft(c, update, user, model, inputs, media, skipped)


async def chain(c: "Container", update: Update, user: User, job_id: str, key: str) -> None:
    """The result as the input of another model: its file (measured like an upload) or its task id."""
    job = await _finished(c, update, user, job_id)
    link = chain_of(key)
    if job is None or link is None or not job.result_urls or job.state != JobState.SUCCEEDED:
        return
    target = c.catalog.get(link.model_id)
    field = target.field(link.field)
    if link.source == "task":
        if not task_source_ok(target.id, job, user.user_id):
            await reply.send(update, say(user.language, "stale"))
            return
        await _draft(c, update, user, target, {field.name: job.kie_task_id}, {}, [])
        return
    url = job.result_urls[0]
    try:  # measured like an upload, and fetched with the same cap
        measured = await measure_url(field, url)
        check_measured(field, measured)
    except InvalidInput as err:
        await reply.send(update, wizard.problem(user.language, err.problem))
        return
    value = [url] if field.multiple else url
    await _draft(c, update, user, target, {field.name: value}, {field.name: [measured.record(url)]}, [])


async def again(c: "Container", update: Update, user: User, job_id: str) -> None:
    """A past result from /history, sent again: no new charge, no provider call. A refunded result (never
    delivered) is not sent: it was given back."""
    job = await c.store.jobs.get(job_id)
    if job is None or job.user_id != user.user_id:
        await reply.send(update, say(user.language, "stale"))
        return
    enabled = {m.id for m in await c.enabled_models()}
    sent = await deliver.again(c, job, update.effective_chat.id, user.language, enabled)
    if sent == deliver.Again.GONE:
        model = c.catalog.get(job.model_id)
        buttons = results.actions(user.language, job, model, chains_for(model, enabled)) if model else []
        await reply.send(update, results.resend_missing(user.language, buttons))
    elif sent == deliver.Again.FAILED:
        await reply.send(update, results.resend_missing(user.language))
