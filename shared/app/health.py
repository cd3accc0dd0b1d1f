"""Model health for users (settings/model_health), recomputed by a scheduled pass: housekeeping from our own
generation events, the catalog sync with the provider's per-model success rates as well. The webhook reads
the document through the container's cache (one read per SETTINGS_CACHE_SECONDS per instance)."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.domain import health
from shared.domain.clock import utcnow
from shared.domain.stats import model_health

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("operations")
WINDOW = timedelta(days=3)  # recent enough to follow a model's bad day, long enough for a median
HEALTH = "model_health"


async def refresh(c: "Container", provider_rates: dict[str, float] | None = None) -> dict[str, Any]:
    """Recompute the document; without new provider rates the last stored ones are kept."""
    events = await c.store.admin.events_since(utcnow() - WINDOW)
    ours = {h.model_id: h for h in model_health(events, WINDOW)}
    if provider_rates is None:
        stored = await c.store.system.get_setting(HEALTH) or {}
        provider_rates = stored.get("provider_rates") or {}
    doc = {"models": health.document(ours, provider_rates), "provider_rates": provider_rates,
           "computed_at": utcnow(), "window_days": WINDOW.days}
    await c.store.system.set_setting(HEALTH, doc)
    log.info("model health: %d models", len(doc["models"]))
    return doc
