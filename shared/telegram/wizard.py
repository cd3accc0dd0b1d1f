"""The wizard: a model's inputs asked one step at a time (text typed, options pressed), each option changeable
on the confirmation screen. The draft lives in its job document (shared/app/drafts.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from telegram import Update

from shared.app import catalog as offers
from shared.app import drafts
from shared.app.drafts import Change, Changed, Typed
from shared.catalog import ModelSpec
from shared.domain.jobs import Job, JobState
from shared.domain.screen import Screen
from shared.domain.typed import cancels, too_short_for_a_prompt
from shared.domain.users import User
from shared.domain.validation import files_problem, missing_asked_field
from shared.telegram import reply, updates
from shared.telegram.catalog import search
from shared.ui import catalog, wizard
from shared.ui.format import esc
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def begin(c: "Container", update: Update, user: User, model_id: str) -> None:
    """Start the wizard on a model: a new draft holds the answers."""
    model = await offers.available(c, model_id)
    if model is None:
        await reply.send(update, catalog.unavailable(user.language, c.catalog.get(model_id)))
        return
    job = await drafts.begin(c, user, update.effective_chat.id, model)
    await next_step(c, update, user, job, model)


async def next_step(c: "Container", update: Update, user: User, job: Job, model: ModelSpec,
                    new_message: bool = False) -> None:
    """The next unanswered step, or the confirmation screen when every step is answered. Files that do not
    fit the chosen mode (Veo: frames take 1-2 photos) send the user back to that step: never a price for a
    draft the provider would refuse."""
    field = missing_asked_field(model, job.inputs, job.skipped)
    problem = files_problem(model, job.inputs) if field is None else None
    if problem is not None:
        again = await _changed(c, update, user, job.id, drafts.ask_again(problem.field))
        if again is None:
            return
        job, field = again, missing_asked_field(model, again.inputs, again.skipped)
    if field is None:
        screen = await confirmation(c, user, job, model)
    else:
        asked = model.asked
        screen = wizard.wizard_step(user.language, job, model, field, asked.index(field) + 1, len(asked))
        if problem is not None and problem.code != "files_not_wanted":
            screen = Screen(wizard.problem_text(user.language, problem) + "\n\n" + screen.text, screen.buttons)
    if new_message:
        message_id = await reply.send(update, screen)
        await c.store.jobs.set_fields(job.id, screen_message_id=message_id)  # not priced: no revision
    else:
        await reply.show(update, screen)


async def confirmation(c: "Container", user: User, job: Job, model: ModelSpec) -> Screen:
    offer = await offers.offer(c, user.user_id, job, model)
    return wizard.confirm_screen(user.language, job, model, offer, user.balance_kopecks)


async def not_a_draft(update: Update, user: User, job: Job | None) -> None:
    """The draft a button names is gone or running: say which."""
    running = job is not None and job.state in (JobState.CONFIRMED, JobState.RUNNING)
    await reply.send(update, say(user.language, "already_running" if running else "stale"))


async def _changed(c: "Container", update: Update, user: User, job_id: str,
                   edit: Callable[[Job], dict[str, Any] | None]) -> Job | None:
    """The draft after a wizard edit; None after a notice when nothing could change."""
    change = await drafts.change(c, user, job_id, edit)
    return await _draft(update, user, change)


async def _draft(update: Update, user: User, change: Change) -> Job | None:
    if change.status == Changed.STALE_BUTTON:
        await reply.send(update, say(user.language, "stale"))
    elif change.status == Changed.NOT_A_DRAFT:
        await not_a_draft(update, user, change.job)
    return change.job if change.status == Changed.CHANGED else None


async def choose(c: "Container", update: Update, user: User, job_id: str, index: str, choice: str) -> None:
    job = await _changed(c, update, user, job_id, drafts.choose(c, index, choice))
    if job is not None:
        await next_step(c, update, user, job, c.catalog.get(job.model_id))


async def edit_option(c: "Container", update: Update, user: User, job_id: str, index: str) -> None:
    job = await _changed(c, update, user, job_id, drafts.open_option(c, index))
    if job is not None:
        model, field = drafts.model_field(c, job, index)
        await reply.show(update, wizard.option_picker(user.language, job, model, field))


async def page(c: "Container", update: Update, user: User, job_id: str, index: str, number: str) -> None:
    """Another page of a long list of choices, in the step or in the option's picker."""
    job = await _draft(update, user, await drafts.draft_of(c, user, job_id))
    if job is None:
        return
    model = c.catalog.get(job.model_id)
    field = drafts.field_at(model, index)
    if field is None:
        await reply.send(update, say(user.language, "stale"))
    elif job.editing == field.name:
        await reply.show(update, wizard.option_picker(user.language, job, model, field, int(number)))
    else:
        asked = model.asked
        step = asked.index(field) + 1 if field in asked else 1
        await reply.show(update, wizard.wizard_step(user.language, job, model, field, step, len(asked), int(number)))


async def review(c: "Container", update: Update, user: User, job_id: str) -> None:
    job = await _changed(c, update, user, job_id, drafts.close_option)
    if job is not None:
        await reply.show(update, await confirmation(c, user, job, c.catalog.get(job.model_id)))


async def files_done(c: "Container", update: Update, user: User, job_id: str, index: str) -> None:
    job = await _changed(c, update, user, job_id, drafts.files_done(c, index))
    if job is None:
        return
    model, field = drafts.model_field(c, job, index)
    if field.required and not job.inputs.get(field.name):  # the step stays as it was: without a word, "Done"
        await reply.send(update, say(user.language, "problem_too_few_files", min=1))  # would look dead
    await next_step(c, update, user, job, model)


async def cancel(c: "Container", update: Update, user: User, job_id: str) -> None:
    await drafts.cancel(c, user, job_id)
    await reply.show(update, catalog.notice(user.language, "cancelled"))


async def text(c: "Container", update: Update, user: User) -> None:
    """Typed text with nothing awaited: the wizard's current text step, else a model search."""
    typed = updates.text_of(update)
    job = None if user.awaiting else await c.store.drafts.current(user.user_id)
    if job is None or job.state != JobState.AWAITING_INPUT:
        await search(c, update, user, typed)
        return
    if job.created_at and update.effective_message.date < job.created_at.replace(microsecond=0):
        await reply.send(update, say(user.language, "late_input"))  # sent before this draft began: not its answer
        return
    if await _not_an_answer(c, update, user, job, typed):
        return
    answer = await drafts.answer(c, user, job, typed)
    if answer.status == Typed.NEXT:  # a button step: say so, then the step again
        await reply.send(update, say(user.language, "use_buttons"))
    if answer.status == Typed.NOT_MEDIA:
        await reply.send(update, wizard.not_media_step(user.language, answer.field))
    elif answer.status == Typed.PROBLEM:
        await reply.send(update, wizard.problem(user.language, answer.problem))
    elif answer.status == Typed.NOT_YOURS:
        await reply.send(update, say(user.language, "task_ref_not_yours"))
    elif answer.status == Typed.NEXT or await _draft(update, user, Change(answer.status, answer.job)) is not None:
        await next_step(c, update, user, answer.job, c.catalog.get(job.model_id), new_message=True)


async def _not_an_answer(c: "Container", update: Update, user: User, job: Job, typed: str) -> bool:
    """A cancel word cancels the draft; small talk typed at a prompt is not taken as the prompt."""
    if cancels(typed):
        await drafts.cancel(c, user, job.id)
        await reply.send(update, catalog.notice(user.language, "cancelled"))
        return True
    field = drafts.text_target(c.catalog.get(job.model_id), job)
    # Only a description: a text to be spoken ("text" of a voice model) may well be "Привет".
    if field is not None and field.name == "prompt" and too_short_for_a_prompt(typed):
        await reply.send(update, say(user.language, "too_short_prompt", text=esc(typed.strip()[:40])))
        return True
    return False
