"""The catalog sync's comparison and the model health, as plain functions."""
from __future__ import annotations

from decimal import Decimal

from shared.catalog import load_catalog
from shared.domain import catalog_sync as sync
from shared.domain import health
from shared.domain.pricing import parse_pricing_truth
from shared.domain.stats import ModelHealth


def test_prices_are_read_from_the_description_and_moves_beyond_the_threshold_reported():
    prices = sync.parse_prices("Nano Banana 2, per image: 1K 8 credits ($0.04); 2K 12 credits ($0.06)")
    assert prices == {"1K": Decimal("0.04"), "2K": Decimal("0.06")}
    old = {"1K": "0.04", "2K": "0.06", "4K": "0.09"}
    new = {"1K": "0.05", "2K": "0.061", "8K": "0.2"}
    changes = sync.price_changes(old, new, Decimal("5"))
    assert changes == [{"key": "1K", "old_usd": "0.04", "new_usd": "0.05", "pct": 25.0},
                       {"key": "4K", "old_usd": "0.09", "new_usd": None, "pct": None},
                       {"key": "8K", "old_usd": None, "new_usd": "0.2", "pct": None}], "2K moved 1.7 %: not reported"


def test_proposed_lines_carry_the_new_price_in_the_truths_own_format():
    truth = parse_pricing_truth("m: 0.09 USD\nm {resolution=1K}: 0.04 USD\n"
                                "v: 1 USD\nv {mode=std}: 0.07 USD per second of duration\n")
    change = [{"key": "1K", "old_usd": "0.04", "new_usd": "0.05", "pct": 25.0}]
    assert sync.proposed_lines(["m"], change, truth) == ["m {resolution=1K}: 0.05 USD"]
    per_second = [{"key": "std", "old_usd": "0.07", "new_usd": "0.08", "pct": 14.3}]
    line = sync.proposed_lines(["v"], per_second, truth)
    assert line == ["v {mode=std}: 0.08 USD per second of duration"]
    assert parse_pricing_truth("v: 1 USD\n" + line[0]).rules["v"][0].usd == Decimal("0.08"), "the truth reads it"


def test_a_single_field_gone_and_one_come_is_a_rename_and_removed_enum_values_are_named():
    model = load_catalog().get("z-image")
    sent = {f.kie_field: {"type": "string"} for f in model.fields if f.ui != "hidden"}
    props = {**{k: v for k, v in sent.items() if k != "aspect_ratio"}, "ratio": {"type": "string"}}
    drift = sync.schema_drift(model, props)
    assert drift["renamed"] == {"aspect_ratio": "ratio"} and drift["missing"] == drift["new"] == []
    props = {**sent, "aspect_ratio": {"type": "string", "enum": ["1:1", "4:3"]}}
    changed = sync.schema_drift(model, props)["changed"]
    assert changed and changed[0]["what"] == "values removed" and "16:9" in changed[0]["ours"]


def test_delisting_hides_and_shows_again_and_distrusts_a_list_missing_most_models():
    catalog = load_catalog()
    listed = {m.provider_model for m in catalog.models if m.enabled}
    hidden, gone, back, trusted = sync.delisting(catalog, listed - {"google/imagen4"}, {})
    assert hidden == {"google/imagen4": sync.DELISTED} and gone == ["google/imagen4"] and trusted
    hidden, gone, back, trusted = sync.delisting(catalog, listed, hidden)
    assert hidden == {} and back == ["google/imagen4"]
    hidden, gone, back, trusted = sync.delisting(catalog, {"z-image"}, {"x": sync.DELISTED})
    assert not trusted and hidden == {"x": sync.DELISTED} and gone == []


def test_a_retired_model_listed_again_is_named_once():
    catalog = load_catalog()
    assert sync.retired_listed(catalog, {"sora-2-text-to-video", "z-image"}) == ["sora-2-text-to-video"]
    quiet = {"gone": [], "back": [], "new": [], "fields": [], "prices": [], "trusted": True}
    report = {**quiet, "retired_listed": ["sora-2-text-to-video"]}
    assert sync.changed(report, {}) and not sync.changed(report, {"retired_listed": ["sora-2-text-to-video"]})


def test_health_takes_the_worse_grade_and_needs_a_few_runs():
    ours = ModelHealth("a", success=9, failed=1, median_duration_ms=40400)
    assert health.entry(ours, None)["mark"] == health.GOOD and health.entry(ours, None)["typical_s"] == 40
    assert health.entry(ours, 0.5)["mark"] == health.POOR, "the provider sees every account's runs"
    assert health.entry(ModelHealth("b", success=1, failed=1), None) is None, "two runs say nothing"
    buckets = [{"successRate": 1.0, "total": 0}] * 140 + [{"successRate": 0.6, "total": 10}] * 4
    assert health.provider_rate(buckets) == 0.6


def test_the_alternative_is_a_healthy_model_of_the_same_kind():
    catalog = load_catalog()
    models = catalog.enabled()
    marks = {"google/nano-banana": {"mark": health.POOR}, "google/imagen4": {"mark": health.GOOD, "runs": 9},
             "z-image": {"mark": health.GOOD, "runs": 2}, "google/nano-banana-edit": {"mark": health.GOOD, "runs": 99}}
    alternative = health.alternative(catalog.get("google/nano-banana"), models, marks)
    assert alternative.id == "google/imagen4", "an edit model needs a photo: not the same kind"
    assert health.alternative(catalog.get("google/imagen4"), models, marks) is None, "a healthy model needs none"
