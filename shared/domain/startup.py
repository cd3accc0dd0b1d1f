"""Startup validation of the catalog and the pricing truth: a broken catalog never serves users."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.catalog import Catalog
from shared.domain.free_tier import FREE_TIER_SIZE, FreeTierError, compute_free_tier, resolve_free_tier
from shared.domain.pricing import PricingTruth
from shared.domain.quote import coverage_problems, free_tier_prices

EXPECTED_MODELS = 55  # 51 offered, 4 retired (hidden, each with its reason in the catalog)


class StartupError(RuntimeError):
    pass


@dataclass(frozen=True)
class PricingState:
    truth: PricingTruth
    prices: dict[str, int]  # kopecks of each model's dearest run: they rank the free tier
    computed_free_tier: list[str]
    free_tier: list[str]  # after FREE_TIER_MODEL_IDS override


def validate_startup(catalog: Catalog, truth: PricingTruth, fx_rate: Decimal, markup: Decimal,
                     override: list[str]) -> PricingState:
    problems = []
    enabled = catalog.enabled()
    if len(catalog.models) != EXPECTED_MODELS:
        problems.append(f"catalog has {len(catalog.models)} models, expected {EXPECTED_MODELS}")
    unpriced = [m.id for m in enabled if m.id not in truth.base]
    if unpriced:
        problems.append("models without a price in the pricing truth: " + ", ".join(unpriced))
    bad = [m for m, usd in truth.base.items() if usd <= 0]
    bad += [m for m, rules in truth.rules.items() if any(r.usd <= 0 for r in rules)]
    if bad:
        problems.append("non-positive prices: " + ", ".join(sorted(set(bad))))
    for model in enabled:
        if model.id in truth.base:
            problems += coverage_problems(model, truth)
    prices = free_tier_prices(enabled, truth, fx_rate, markup)
    computed = compute_free_tier(prices, {m.id for m in enabled})
    if len(computed) != FREE_TIER_SIZE:
        problems.append(f"free tier has {len(computed)} models, expected {FREE_TIER_SIZE}")
    try:
        free = resolve_free_tier(computed, override, {m.id for m in enabled})
    except FreeTierError as err:
        problems.append(str(err))
        free = computed
    if problems:
        raise StartupError("Startup validation failed: " + "; ".join(problems))
    return PricingState(truth=truth, prices=prices, computed_free_tier=computed, free_tier=free)
