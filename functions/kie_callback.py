"""kie_callback: the provider posts a finished task here (HMAC-signed when a key is configured).

KIE signs the task id and a timestamp, not the body: a signed callback is only a trigger, and the outcome
(success and result URLs, or failure) is read back from KIE's recordInfo before anything is applied.
The callback URL we give KIE names the job (`?job=<id>&sig=<our HMAC of the id>`), so a task id can be
attached to a job whose worker never stored it; a `job` we did not sign is ignored (and without a key, always).
In production the function does not start without KIE_WEBHOOK_HMAC_KEY (shared/config.py `check_target`)."""
from __future__ import annotations

import logging
import re

import flask

from shared import runtime
from shared.bootstrap import container
from shared.json_body import read_json

log = logging.getLogger("kie_callback")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a Firestore document id we could have made (no '/')
MAX_TASK_ID = 256  # KIE task ids are 32 hex digits; a longer one matches no job (and is no Firestore key)


async def _complete(job_id: str | None, data: dict) -> tuple[str, int]:
    from shared.clients.kie import KieError, TaskRecord
    from shared.domain.jobs import JobState
    from shared.services import generation

    c = container()
    record = TaskRecord.from_data(data)
    if len(record.task_id) > MAX_TASK_ID:
        log.warning("callback with an oversized task id")
        return "unknown task", 200
    job = await c.store.jobs.find_by_task(record.task_id)
    if job is None and job_id:
        job = await c.store.jobs.get(job_id)
        if job and job.kie_task_id not in (None, record.task_id):
            return "task does not match job", 400
        if job and job.state == JobState.RUNNING and not job.kie_task_id:
            # The callback beat the worker's own write of the task id.
            await c.store.jobs.set_task_id(job.id, record.task_id)
    if job is None:
        log.warning("callback for unknown task", extra={"task_id": record.task_id})
        return "unknown task", 200
    if job.terminal or not record.finished:
        return "ok", 200
    try:
        confirmed = await c.kie.record_info(record.task_id)
    except KieError as err:  # the poll chain and the sweep finish the job later
        log.warning("callback not confirmed by recordInfo: %s", err, extra={"job_id": job.id})
        return "not confirmed yet", 200
    if not confirmed.finished:
        return "ok", 200
    await generation.complete(c, job, confirmed)
    return "ok", 200


def kie_callback(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method != "POST":
        return "method not allowed", 405
    body, problem = read_json(request)
    if problem:
        return problem
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return "bad request", 400
    task_id = str(data.get("taskId") or data.get("task_id") or "")
    key = container().settings.kie_webhook_hmac_key
    if key:
        from shared.clients.kie import verify_signature

        if not verify_signature(key, task_id, request.headers.get("X-Webhook-Timestamp"),
                                request.headers.get("X-Webhook-Signature")):
            return "bad signature", 401
    return runtime.run(_complete(_signed_job(request, key), data), timeout=50)


def _signed_job(request: flask.Request, key: str) -> str | None:
    """The job our own callback URL names, if we signed it; anything else is ignored."""
    from shared.clients.kie import job_signature_ok

    job_id = request.args.get("job")
    if not key or not job_id or not JOB_ID.fullmatch(job_id):
        return None
    if not job_signature_ok(key, job_id, request.args.get("sig")):
        log.warning("callback names a job without our signature; ignored")
        return None
    return job_id
