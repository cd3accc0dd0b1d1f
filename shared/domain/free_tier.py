"""The free tier: the N enabled models whose dearest run costs least (₽), ties broken by model id."""
from __future__ import annotations

FREE_TIER_SIZE = 5


class FreeTierError(ValueError):
    pass


def compute_free_tier(prices: dict[str, int], enabled: set[str], size: int = FREE_TIER_SIZE) -> list[str]:
    ranked = sorted((price, model_id) for model_id, price in prices.items() if model_id in enabled)
    return [model_id for _, model_id in ranked[:size]]


def resolve_free_tier(computed: list[str], override: list[str], known: set[str],
                      size: int = FREE_TIER_SIZE) -> list[str]:
    """FREE_TIER_MODEL_IDS, when set, must name exactly `size` distinct known models."""
    if not override:
        return computed
    unknown = [m for m in override if m not in known]
    if unknown:
        raise FreeTierError(f"FREE_TIER_MODEL_IDS names unknown models: {', '.join(unknown)}")
    if len(set(override)) != size:
        raise FreeTierError(f"FREE_TIER_MODEL_IDS must list exactly {size} distinct models, got {len(set(override))}")
    return list(override)
