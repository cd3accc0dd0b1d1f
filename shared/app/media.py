"""Attaching a file to a draft's media step: check what Telegram says (room, kind, size), fetch it (capped),
measure it by decoding, upload it under a name we generate, attach it with its measurements. The bytes are
the truth: nothing the sender's client declares is believed."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from telegram.error import TelegramError

from shared.catalog import FieldSpec, ModelSpec
from shared.clients import files, telegram
from shared.clients.kie import KieError
from shared.domain import decode
from shared.domain.jobs import Attached, Job, JobState
from shared.domain.media import (IncomingFile, Measured, Unmeasurable, byte_limit, check_file, check_measured,
                                 check_room, check_size, stored_name, too_big)
from shared.domain.users import User
from shared.domain.validation import InputProblem, InvalidInput, missing_asked_field

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("media_input")
DOWNLOAD_TIMEOUT_S = 25.0  # a whole download (the update has 50 s in all), on top of the per-read timeouts


class Filed(StrEnum):
    NO_DRAFT = "no_draft"
    NEXT = "next"  # not a media step (or nothing usable came): show the step again
    QUIET = "quiet"  # more of an album already acknowledged, or a part of one sent to a one-file step
    PROBLEM = "problem"  # the file does not fit the field (`problem`)
    UPLOAD_FAILED = "upload_failed"
    STALE = "stale"  # the draft changed state meanwhile
    FULL = "full"  # the step has its maximum of files
    COMPLETE = "complete"  # the step is done: show the next one
    ADDED = "added"  # one more file of a multi-file step (`count`)
    LATE = "late"  # sent before the open draft began (a late redelivery): not its input


@dataclass(frozen=True)
class Filing:
    status: Filed
    job: Job | None = None
    model: ModelSpec | None = None
    field: FieldSpec | None = None
    problem: InputProblem | None = None
    count: int = 0
    media_group: str | None = None  # the Telegram album the file came in


def media_field(model: ModelSpec, job: Job, incoming: IncomingFile | None) -> FieldSpec | None:
    """The step a file answers: the multi-file step being collected, the current step, or — on the
    confirmation screen — an input of the file's kind (a new file replaces a single one, adds to a list)."""
    collecting = model.field(job.editing) if job.editing else None
    field = collecting if collecting and collecting.is_media else missing_asked_field(model, job.inputs, job.skipped)
    if incoming and (field is None or not field.is_media):
        field = next((f for f in model.fields if f.is_media and f.type == incoming.kind and f.name in job.inputs),
                     field)
    return field


async def attach(c: "Container", user: User, chat_id: int, incoming: IncomingFile | None,
                 sent_at: datetime | None = None) -> Filing:
    job = await c.store.drafts.current(user.user_id)
    if not job or job.state != JobState.AWAITING_INPUT:
        return Filing(Filed.NO_DRAFT)
    if sent_at and job.created_at and sent_at < job.created_at.replace(microsecond=0):
        return Filing(Filed.LATE, job)  # sent before this draft was opened, delivered late: not its input
    model = c.catalog.get(job.model_id)
    field = media_field(model, job, incoming)
    known_album = bool(incoming and incoming.media_group and incoming.media_group in job.media_groups)
    if field is None or not field.is_media or incoming is None:
        return Filing(Filed.QUIET if known_album else Filed.NEXT, job, model)
    if known_album and not field.multiple:
        return Filing(Filed.QUIET, job, model)  # the rest of an album sent to a one-file step
    return await attach_to(c, user, chat_id, job, model, field, incoming)


async def attach_to(c: "Container", user: User, chat_id: int, job: Job, model: ModelSpec, field: FieldSpec,
                    incoming: IncomingFile) -> Filing:
    """A file to one media field of a draft: checked, fetched, measured, uploaded, attached."""
    try:
        check_room(field, len(job.media.get(field.name, [])))  # before any transfer
        check_file(field, incoming)
        await telegram.chat_action(c.bot, chat_id, field.type)
        data = await download(c, field, incoming.file_id)
        measured = await measure(field, data)
        check_measured(field, measured)
    except InvalidInput as err:
        return Filing(Filed.PROBLEM, job, model, field, err.problem)
    try:  # one folder per job, a random name per file: nothing can replace an input once it is priced
        url = await c.kie.upload_bytes(data, stored_name(measured.ext), upload_path=f"jobs/{job.id}")
    except KieError as err:
        log.warning("upload failed: %s", err, extra={"job_id": job.id})
        return Filing(Filed.UPLOAD_FAILED, job, model, field)
    return await _add(c, user, job, model, field, measured.record(url), incoming.media_group)


async def _add(c: "Container", user: User, job: Job, model: ModelSpec, field: FieldSpec, record: dict,
               media_group: str | None) -> Filing:
    status, job = await c.store.drafts.add_media(job.id, user.user_id, field.name, record, field.multiple,
                                                 field.max_count or 1, media_group)
    if status == Attached.STALE:
        return Filing(Filed.STALE)
    if status == Attached.FULL:
        return Filing(Filed.FULL, job, model, field)
    if status == Attached.IGNORED:  # more of an album sent to a one-file step
        return Filing(Filed.QUIET, job, model, field)
    if job is not None and job.editing is None:
        return Filing(Filed.COMPLETE, job, model, field)
    if status in (Attached.ADDED, Attached.ADDED_QUIETLY):  # a later part of an album updates its counter
        return Filing(Filed.ADDED, job, model, field, count=len(job.media[field.name]), media_group=media_group)
    return Filing(Filed.QUIET, job, model, field)


async def remember_counter(c: "Container", job: Job, media_group: str, message_id: int) -> None:
    """The album's counter message, for its later parts to edit (1 write)."""
    await c.store.jobs.set_fields(job.id, album_counters={**job.album_counters, media_group: message_id})


async def download(c: "Container", field: FieldSpec, file_id: str) -> bytes:
    """A user's file from Telegram, at most what the field takes (InvalidInput otherwise)."""
    try:
        path, size = await telegram.file_of(c.bot, file_id)
        check_size(field, size)
        return await files.fetch(files.shared_http(), path, byte_limit(field), DOWNLOAD_TIMEOUT_S)
    except files.TooBig as err:
        raise too_big(field, err.size) from None
    except (TelegramError, files.FetchFailed) as err:
        log.warning("could not fetch a user's file: %s", type(err).__name__)
        raise InvalidInput(InputProblem(field=field.name, code="fetch_failed")) from None


async def measure(field: FieldSpec, data: bytes) -> Measured:
    """Decode the bytes in a worker thread (the event loop keeps serving other updates)."""
    try:
        return await asyncio.to_thread(decode.measure, data)
    except Unmeasurable as err:
        raise err.problem(field) from None


async def measure_url(field: FieldSpec, url: str) -> Measured:
    """An earlier result as input of `field` (a chain button): fetched and measured like an upload."""
    try:
        data = await files.fetch(files.shared_http(), url, byte_limit(field), DOWNLOAD_TIMEOUT_S)
    except files.TooBig as err:
        raise too_big(field, err.size) from None
    except files.FetchFailed as err:
        log.warning("could not fetch an earlier result: %s", err)
        raise InvalidInput(InputProblem(field=field.name, code="fetch_failed")) from None
    return await measure(field, data)
