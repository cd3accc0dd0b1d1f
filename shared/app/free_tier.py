"""The free tier, recomputed from the pricing truth and stored (free_tier_refresh, every 6 h)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.domain.free_tier import compute_free_tier, resolve_free_tier
from shared.domain.quote import free_tier_prices

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("free_tier_refresh")


async def refresh(c: "Container") -> dict:
    s = c.settings
    c.forget_cached()
    models = await c.enabled_models()
    enabled = {m.id for m in models}
    prices = free_tier_prices(models, c.pricing_truth(), s.fx_rate, s.pricing_markup)
    tier = resolve_free_tier(compute_free_tier(prices, enabled), s.free_tier_model_ids, enabled)
    source = "override" if s.free_tier_model_ids else "computed"
    doc = await c.store.system.save_free_tier(tier, source, prices)
    log.info("free tier: %s (%s)", ", ".join(tier), source)
    return {"model_ids": doc["model_ids"], "previous_model_ids": doc.get("previous_model_ids", []), "source": source}
