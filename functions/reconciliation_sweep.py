"""reconciliation_sweep: Cloud Scheduler target (every 5 min). Finishes jobs whose callback and polls were lost."""
from __future__ import annotations

import flask

from shared import runtime
from shared.app import sweep
from shared.auth import caller_allowed
from shared.bootstrap import container


def reconciliation_sweep(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    return runtime.run(sweep.sweep(container()), timeout=300)
