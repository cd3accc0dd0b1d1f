"""housekeeping: Cloud Scheduler target (daily). Deletes expired short-lived documents."""
from __future__ import annotations

import flask

from shared import runtime
from shared.app import housekeeping as chores
from shared.auth import caller_allowed
from shared.bootstrap import container


def housekeeping(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    return runtime.run(chores.housekeeping(container()), timeout=300)
