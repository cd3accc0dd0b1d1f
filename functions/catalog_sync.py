"""catalog_sync: Cloud Scheduler target (daily). Compares the provider's catalog with ours and reports drift."""
from __future__ import annotations

import flask

from shared import runtime
from shared.app import catalog_sync as sync
from shared.auth import caller_allowed
from shared.bootstrap import container


def catalog_sync(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method != "POST":  # Cloud Scheduler POSTs; a probe's GET must not start a minute of calls
        return "method not allowed", 405
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    return runtime.run(sync.run(container()), timeout=540)
