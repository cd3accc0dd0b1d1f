"""generation_worker: the Cloud Tasks target. Each task's kind routes it to its use case (shared/app/tasks.py
KINDS: a generation's start or poll, a broadcast's batch). 2xx ends a task; 503 asks Cloud Tasks to retry it."""
from __future__ import annotations

import flask

from shared import runtime
from shared.app import tasks
from shared.auth import caller_allowed
from shared.bootstrap import container


def generation_worker(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    if request.method != "POST":
        return "method not allowed", 405
    task = tasks.arguments(request.get_json(silent=True))
    if task is None:
        return "bad task", 200  # a malformed task will never succeed: do not retry it
    outcome = runtime.run(tasks.run(container(), *task), timeout=100)
    return ("retry later", 503) if outcome == tasks.Outcome.RETRY else ("ok", 200)
