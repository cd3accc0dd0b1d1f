"""Housekeeping (daily): what the TTL policies do in production, and jobs handed over to the sweep."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.app import health
from shared.domain.clock import utcnow

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("operations")
EXPIRING = ("processed_updates", "free_usage", "jobs")  # collections with an `expire_at` TTL


async def housekeeping(c: "Container") -> dict[str, int]:
    """Delete expired short-lived documents (what the TTL policies do in production), and hand jobs written
    before `unsettled` existed to the sweep."""
    now = utcnow()
    deleted = {name: await c.store.system.delete_expired(name, now) for name in EXPIRING}
    deleted["adopted_jobs"] = await c.store.system.adopt_legacy_jobs()
    deleted["health_models"] = len((await health.refresh(c))["models"])  # the marks and typical times users see
    log.info("housekeeping: %s", deleted)
    return deleted
