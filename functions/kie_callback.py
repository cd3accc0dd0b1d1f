"""kie_callback: the provider posts a finished task here (HMAC-signed when a key is configured)."""
from __future__ import annotations

import logging

import flask

from shared import runtime
from shared.bootstrap import container

log = logging.getLogger("kie_callback")


async def _complete(job_id: str | None, data: dict) -> tuple[str, int]:
    from shared.clients.kie import TaskRecord
    from shared.domain.jobs import JobState
    from shared.services import generation

    c = container()
    record = TaskRecord.from_data(data)
    job = await c.store.find_job_by_task(record.task_id)
    if job is None and job_id:
        job = await c.store.get_job(job_id)
        if job and job.kie_task_id not in (None, record.task_id):
            return "task does not match job", 400
        if job and job.state == JobState.RUNNING and not job.kie_task_id:
            # The callback beat the worker's own write of the task id.
            await c.store.set_task_id(job.id, record.task_id)
    if job is None:
        log.warning("callback for unknown task", extra={"task_id": record.task_id})
        return "unknown task", 200
    if job.terminal or not record.finished:
        return "ok", 200
    await generation.complete(c, job, record)
    return "ok", 200


def kie_callback(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method != "POST":
        return "method not allowed", 405
    body = request.get_json(silent=True)
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
    return runtime.run(_complete(request.args.get("job"), data), timeout=50)
