"""The wizard's use cases on a draft (the job document in `awaiting_input`): begin one, prefill one from an
earlier run, and change one by a button or a typed answer. Every change is a transaction that bumps the
draft's revision (shared/storage/drafts.py); what each returns says where the user is now."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable

from shared.app import catalog
from shared.catalog import FieldSpec, ModelSpec
from shared.domain.chains import task_source_ok
from shared.domain.jobs import Job, JobState, new_job_id
from shared.domain.users import PARKED, User
from shared.domain.validation import (InputProblem, InvalidInput, check_value, choices, files_problem,
                                     missing_asked_field)

if TYPE_CHECKING:
    from shared.bootstrap import Container


class StaleButton(Exception):
    """A wizard button names a field or choice the stored draft does not have."""


class Changed(StrEnum):
    CHANGED = "changed"  # the draft as stored now is in `job`
    STALE_BUTTON = "stale_button"  # the button named nothing the draft has: nothing changed
    NOT_A_DRAFT = "not_a_draft"  # gone, someone else's, or running (`job`, when it is the user's)


@dataclass(frozen=True)
class Change:
    status: Changed
    job: Job | None = None


def field_at(model: ModelSpec, index: str) -> FieldSpec | None:
    """The field a button's index names, if the user may set it (never a hidden or fixed one)."""
    i = int(index)
    field = model.fields[i] if 0 <= i < len(model.fields) else None
    return field if field is not None and field.ui not in ("hidden", "fixed") else None


def model_field(c: "Container", job: Job, index: str) -> tuple[ModelSpec, FieldSpec]:
    """The draft's model and the field a button's index names; StaleButton when it names none."""
    model = c.catalog.get(job.model_id)
    field = field_at(model, index)
    if field is None:
        raise StaleButton(index)
    return model, field


async def begin(c: "Container", user: User, chat_id: int, model: ModelSpec, inputs: dict[str, Any] | None = None,
                media: dict[str, list[dict]] | None = None, skipped: list[str] | None = None) -> Job:
    """A new draft (prefilled from an earlier run when given inputs); a search or a typed amount the bot
    was waiting for ends here."""
    job = Job(id=new_job_id(), user_id=user.user_id, chat_id=chat_id, lang=user.language, model_id=model.id,
              inputs=inputs or {}, media=media or {}, skipped=skipped or [])
    await c.store.drafts.create(job)
    if user.awaiting:
        await c.store.users.set_fields(user.user_id, awaiting=None)
    return job


async def change(c: "Container", user: User, job_id: str, edit: Callable[[Job], dict[str, Any] | None]) -> Change:
    """Apply a wizard edit to the stored draft (`edit` may raise StaleButton to change nothing)."""
    try:
        job = await c.store.drafts.update(job_id, user.user_id, edit)
    except StaleButton:
        return Change(Changed.STALE_BUTTON)
    if job is None or job.state != JobState.AWAITING_INPUT:
        return Change(Changed.NOT_A_DRAFT, job)
    return Change(Changed.CHANGED, job)


async def draft_of(c: "Container", user: User, job_id: str) -> Change:
    """The user's open draft by id, unchanged."""
    job = await c.store.jobs.get(job_id)
    if job is None or job.user_id != user.user_id or job.state != JobState.AWAITING_INPUT:
        return Change(Changed.NOT_A_DRAFT, job)
    return Change(Changed.CHANGED, job)


def choose(c: "Container", index: str, choice: str) -> Callable[[Job], dict[str, Any]]:
    """A choice button: one of the field's offered values, or "d" to skip it (its default)."""
    def edit(job: Job) -> dict[str, Any]:
        _, field = model_field(c, job, index)
        options = choices(field)
        if choice != "d" and not int(choice) < len(options):
            raise StaleButton(choice)
        inputs, skipped = dict(job.inputs), list(job.skipped)
        if choice == "d":
            inputs.pop(field.name, None)
            skipped.append(field.name)
        else:
            inputs[field.name] = check_value(field, options[int(choice)])
        return {"inputs": inputs, "skipped": skipped, "editing": None}

    return edit


def open_option(c: "Container", index: str) -> Callable[[Job], dict[str, Any]]:
    return lambda job: {"editing": model_field(c, job, index)[1].name}


def close_option(job: Job) -> dict[str, Any] | None:
    return {"editing": None} if job.editing else None


def files_done(c: "Container", index: str) -> Callable[[Job], dict[str, Any]]:
    """"Done" on a multi-file step: an optional step left empty counts as skipped."""
    def edit(job: Job) -> dict[str, Any]:
        _, field = model_field(c, job, index)
        skipped = job.skipped
        if field.name not in job.inputs and not field.required:
            skipped = [*job.skipped, field.name]
        return {"skipped": skipped, "editing": None}

    return edit


def ask_again(field_name: str) -> Callable[[Job], dict[str, Any]]:
    """A media step whose files do not fit the mode chosen since: its files are dropped and it is asked again
    (not at all when the mode takes none)."""
    def edit(job: Job) -> dict[str, Any]:
        return {"inputs": {k: v for k, v in job.inputs.items() if k != field_name},
                "media": {k: v for k, v in job.media.items() if k != field_name},
                "skipped": [name for name in job.skipped if name != field_name], "editing": None}

    return edit


async def cancel(c: "Container", user: User, job_id: str) -> None:
    job = await c.store.jobs.get(job_id)
    if job and job.user_id == user.user_id and job.state == JobState.AWAITING_INPUT:
        await c.store.jobs.move(job.id, JobState.CANCELLED)
    if user.awaiting == PARKED:
        await c.store.users.set_fields(user.user_id, awaiting=None)


# --- a typed answer ------------------------------------------------------------------------------------

class Typed(StrEnum):
    NEXT = "next"  # nothing to set from text here: show the step again (`job`)
    NOT_MEDIA = "not_media"  # the step wants a file (`field`)
    PROBLEM = "problem"  # the value does not fit (`problem`)
    NOT_YOURS = "not_yours"  # a task id that is not one of the user's own results


@dataclass(frozen=True)
class Answer:
    status: Typed | Changed
    job: Job | None = None
    field: FieldSpec | None = None
    problem: InputProblem | None = None


def text_target(model: ModelSpec, job: Job) -> FieldSpec | None:
    """Which field a typed message answers: the option being edited, the current step, or — on the
    confirmation screen — the prompt (typing a new prompt replaces it)."""
    if job.editing:
        return model.field(job.editing)
    step = missing_asked_field(model, job.inputs, job.skipped)
    if step is not None:
        return step
    for name in ("prompt", "text"):
        if any(f.name == name for f in model.fields):
            return model.field(name)
    return None


async def answer(c: "Container", user: User, job: Job, text: str) -> Answer:
    """A typed message on a draft: the value of the field it answers, checked before it is stored."""
    model = c.catalog.get(job.model_id)
    field = text_target(model, job)
    if field is None or field.type in ("enum", "boolean"):
        return Answer(Typed.NEXT, job)
    if field.is_media:
        return Answer(Typed.NOT_MEDIA, job, field)
    try:
        value = check_value(field, text)
    except InvalidInput as err:
        return Answer(Typed.PROBLEM, job, field, err.problem)
    if field.type == "task_ref" and not task_source_ok(model.id, await c.store.jobs.find_by_task(str(value)),
                                                       user.user_id):
        return Answer(Typed.NOT_YOURS, job, field)
    changed = await change(c, user, job.id, lambda draft: {"inputs": {**draft.inputs, field.name: value},
                                                           "editing": None})
    return Answer(changed.status, changed.job)


async def prefill(c: "Container", user: User, chat_id: int, model: ModelSpec, inputs: dict[str, Any],
                  media: dict[str, list[dict]], skipped: list[str]) -> Job | None:
    """A new draft from an earlier run (repeat, new prompt, a result fed to another model); None when the
    model has been switched off."""
    if await catalog.available(c, model.id) is None:
        return None
    return await begin(c, user, chat_id, model, inputs, media, skipped)


async def waiting_order(c: "Container", user_id: int) -> tuple[Job, ModelSpec, int] | None:
    """The user's open draft with every step answered and a price (after a top-up it can run now): the draft,
    its model and its price in kopecks; None otherwise."""
    job = await c.store.drafts.current(user_id)
    model = c.catalog.get(job.model_id) if job else None
    if job is None or model is None or missing_asked_field(model, job.inputs, job.skipped) is not None:
        return None
    if files_problem(model, job.inputs) is not None or await catalog.available(c, model.id) is None:
        return None
    offer = await catalog.offer(c, user_id, job, model)
    return None if offer.is_free else (job, model, offer.price)
