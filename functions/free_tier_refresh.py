"""free_tier_refresh: Cloud Scheduler target. Recompute the free tier from the pricing truth and store it."""
from __future__ import annotations

import flask

from shared import runtime
from shared.app import free_tier
from shared.auth import caller_allowed
from shared.bootstrap import container


def free_tier_refresh(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    return runtime.run(free_tier.refresh(container()), timeout=50)
