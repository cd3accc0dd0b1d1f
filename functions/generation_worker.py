"""generation_worker: the Cloud Tasks target. 2xx ends a task; 503 asks Cloud Tasks to retry it later."""
from __future__ import annotations

import logging

import flask

from shared import runtime
from shared.auth import caller_allowed
from shared.bootstrap import container

log = logging.getLogger("worker")


def generation_worker(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    if request.method != "POST":
        return "method not allowed", 405
    body = request.get_json(silent=True) or {}
    job_id, kind = body.get("job_id"), body.get("kind")
    if kind == "broadcast":  # admin broadcast: one batch of sends (shared/admin/broadcast.py)
        broadcast_id, batch_no = body.get("broadcast_id"), body.get("batch_no", 1)
        if not isinstance(broadcast_id, str) or not isinstance(batch_no, int):
            return "bad task", 200
        from shared.admin import broadcast

        outcome = runtime.run(broadcast.run_batch(container(), broadcast_id, batch_no), timeout=100)
        return ("retry later", 503) if outcome == "retry" else ("ok", 200)
    if not isinstance(job_id, str) or kind not in ("start", "poll"):
        return "bad task", 200  # a malformed task will never succeed: do not retry it
    from shared.services import generation

    c = container()
    if kind == "start":
        outcome = runtime.run(generation.run_start(c, job_id), timeout=100)
    else:
        outcome = runtime.run(generation.run_poll(c, job_id, int(body.get("attempt", 1))), timeout=100)
    return ("retry later", 503) if outcome == "retry" else ("ok", 200)
