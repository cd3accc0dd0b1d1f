"""Model health for users, pure: a 🟢/🟡/🔴 mark from our own recent runs (and the provider's success rate
for the model where we have it), the typical time to a result (median of recent successes), and a healthy
alternative of the same kind for a degraded model. Computed by a scheduled pass into one small document
(settings/model_health) that the webhook reads cached."""
from __future__ import annotations

from typing import Any

from shared.catalog import ModelSpec
from shared.domain.stats import ModelHealth

GOOD, FAIR, POOR = "good", "fair", "poor"
MARKS = {GOOD: "🟢", FAIR: "🟡", POOR: "🔴"}
GOOD_RATE, FAIR_RATE = 0.9, 0.7  # success rates at or above which a model is good / fair
MIN_RUNS = 3  # fewer runs of ours say nothing about a model
PROVIDER_BUCKETS = 6  # the provider's last hour (10-minute buckets)


def grade(rate: float | None) -> str | None:
    if rate is None:
        return None
    return GOOD if rate >= GOOD_RATE else FAIR if rate >= FAIR_RATE else POOR


def provider_rate(buckets: list[dict[str, Any]]) -> float | None:
    """The provider's success rate over its last hour: weighted by its counts where it gives them."""
    recent = [b for b in buckets[-PROVIDER_BUCKETS:] if isinstance(b.get("successRate"), (int, float))]
    if not recent:
        return None
    total = sum(int(b.get("total") or 0) for b in recent)
    if total:
        return sum(float(b["successRate"]) * int(b.get("total") or 0) for b in recent) / total
    return sum(float(b["successRate"]) for b in recent) / len(recent)


def entry(ours: ModelHealth | None, theirs: float | None) -> dict[str, Any] | None:
    """One model's line of the document: the worse of our grade and the provider's, and the typical time."""
    rate = ours.success_rate if ours and ours.runs >= MIN_RUNS else None
    grades = [g for g in (grade(rate), grade(theirs)) if g]
    if not grades and not (ours and ours.median_duration_ms):
        return None
    order = [GOOD, FAIR, POOR]
    return {"mark": max(grades, key=order.index) if grades else None,
            "success_rate": None if rate is None else round(rate, 3),
            "provider_rate": None if theirs is None else round(theirs, 3),
            "runs": ours.runs if ours else 0,
            "typical_s": round(ours.median_duration_ms / 1000) if ours and ours.median_duration_ms else None}


def document(ours: dict[str, ModelHealth], theirs: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Model id -> entry, for every model we know something about."""
    out = {}
    for model_id in sorted(set(ours) | set(theirs)):
        line = entry(ours.get(model_id), theirs.get(model_id))
        if line:
            out[model_id] = line
    return out


def _kind(model: ModelSpec) -> tuple[str, str, frozenset[str]]:
    """What a model is for a user: its category, its output and the media it requires."""
    return model.category, model.output, frozenset(f.type for f in model.fields if f.is_media and f.required)


def alternative(model: ModelSpec, models: list[ModelSpec], health: dict[str, dict[str, Any]]) -> ModelSpec | None:
    """For a model marked poor or fair: a model of the same kind marked good (the one with most runs)."""
    if (health.get(model.id) or {}).get("mark") not in (FAIR, POOR):
        return None
    same = [m for m in models if m.id != model.id and _kind(m) == _kind(model)
            and (health.get(m.id) or {}).get("mark") == GOOD]
    return max(same, key=lambda m: health[m.id].get("runs", 0), default=None)

