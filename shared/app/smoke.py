"""Admin smoke test: one real generation per free model, charged to nobody, with a timing report. Its jobs
run like any other; when one ends, shared/app/endings.py `finished` hands its result here."""
from __future__ import annotations

import io
import logging
import wave
from typing import TYPE_CHECKING, Any

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.clock import utcnow
from shared.domain.jobs import Job, new_job_id, new_request_id
from shared.domain.users import User
from shared.app.tasks import enqueue_start
from shared.clients import telegram
from shared.ui.admin import notices

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("smoke")
PROMPT = "Smoke test: a red apple on a white table, studio light"


def _sample_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (512, 512), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def _sample_wav(seconds: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 16000 * seconds)
    return buf.getvalue()


async def _sample_value(c: "Container", f: FieldSpec, uploads: dict[str, str]) -> tuple[Any, list[dict]]:
    if f.type == "text":
        return PROMPT[: f.max_length or len(PROMPT)], []
    if f.type == "enum":
        return (f.default if f.default is not None else f.values[0]), []
    if f.type == "number":
        return (f.default if f.default is not None else f.min), []
    if f.type == "boolean":
        return bool(f.default), []
    if f.type in ("image", "audio"):
        if f.type not in uploads:
            data, name = (_sample_png(), "smoke.png") if f.type == "image" else (_sample_wav(), "smoke.wav")
            uploads[f.type] = await c.kie.upload_bytes(data, name, upload_path="smoke")
        url = uploads[f.type]
        meta = [{"url": url, "width": 512, "height": 512} if f.type == "image" else {"url": url, "duration_s": 2}]
        return ([url] if f.multiple else url), meta
    return None, []


async def sample_inputs(c: "Container", model: ModelSpec) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    inputs: dict[str, Any] = {}
    media: dict[str, list[dict]] = {}
    uploads: dict[str, str] = {}
    for f in model.fields:
        if f.ui == "ask" or (f.required and f.ui == "option"):
            value, meta = await _sample_value(c, f, uploads)
            if value is not None:
                inputs[f.name] = value
            if meta:
                media[f.name] = meta
    return inputs, media


async def run(c: "Container", admin: User, chat_id: int) -> list[str]:
    """A real generation on each free model, charged to nobody (logged); its models."""
    free = await c.free_tier()
    run_id = await start(c, admin.user_id, chat_id, free)
    await c.store.admin.log_action(admin.user_id, "smoke_test", run_id, None, free)
    return free


async def start(c: "Container", admin_id: int, chat_id: int, model_ids: list[str]) -> str:
    """Confirm one job per model at no price and queue its start task; the run's id."""
    run_id = new_job_id()
    await c.store.admin.create_smoke_run(run_id, admin_id, chat_id, model_ids)
    for model_id in model_ids:
        model = c.catalog.get(model_id)
        inputs, media = await sample_inputs(c, model)
        job = Job(id=new_job_id(), user_id=admin_id, chat_id=chat_id, model_id=model_id, inputs=inputs, media=media,
                  smoke_run=run_id)
        await c.store.drafts.create(job)
        confirmed = await c.store.drafts.confirm(job.id, 0, False, new_request_id())
        await enqueue_start(c, confirmed.id)
    return run_id


async def record(c: "Container", job: Job, ok: bool) -> None:
    """Record one smoke result; the call that records the last one sends the report."""
    seconds = (utcnow() - job.started_at).total_seconds() if job.started_at else None
    done = await c.store.admin.record_smoke(job, ok, seconds)
    if done:
        admin = await c.store.users.get(done["admin_id"])
        report = notices.smoke_report(admin.language if admin else "ru", list(done["results"].values()))
        await telegram.send(c.bot, done["chat_id"], report)
