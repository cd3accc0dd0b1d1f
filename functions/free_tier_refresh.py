"""free_tier_refresh: Cloud Scheduler target. Recompute the free tier from the pricing truth and store it."""
from __future__ import annotations

import logging

import flask

from shared import runtime
from shared.auth import caller_allowed
from shared.bootstrap import container

log = logging.getLogger("free_tier_refresh")


async def refresh() -> dict:
    from shared.domain.free_tier import compute_free_tier, resolve_free_tier
    from shared.domain.pricing import price_table

    c = container()
    s = c.settings
    prices = price_table(c.pricing_truth().base, s.fx_rate, s.pricing_markup)
    c.forget_cached()
    enabled = {m.id for m in await c.enabled_models()}
    tier = resolve_free_tier(compute_free_tier(prices, enabled), s.free_tier_model_ids, enabled)
    source = "override" if s.free_tier_model_ids else "computed"
    doc = await c.store.system.save_free_tier(tier, source, prices)
    log.info("free tier: %s (%s)", ", ".join(tier), source)
    return {"model_ids": doc["model_ids"], "previous_model_ids": doc.get("previous_model_ids", []), "source": source}


def free_tier_refresh(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if not caller_allowed(request, container().settings):
        return "forbidden", 403
    return runtime.run(refresh(), timeout=50)
