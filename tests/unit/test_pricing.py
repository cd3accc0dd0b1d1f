from decimal import Decimal

import pytest

from shared.catalog import load_catalog, load_pricing_truth
from shared.domain.free_tier import FreeTierError, compute_free_tier, resolve_free_tier
from shared.domain.pricing import PricingError, format_rub, parse_pricing_truth, price_table, rub_kopecks, rub_to_kopecks
from shared.domain.startup import StartupError, validate_startup
from shared.domain.quote import dearest_run_usd, free_tier_prices


def test_price_formula_usd_times_fx_times_markup_in_kopecks():
    assert rub_kopecks(Decimal("0.004"), Decimal("95"), Decimal("2.0")) == 76  # 0.76 ₽
    assert rub_kopecks(Decimal("3.15"), Decimal("95"), Decimal("2.0")) == 59850


def test_price_rounds_up_to_whole_kopeck():
    assert rub_kopecks(Decimal("0.0325"), Decimal("95"), Decimal("2")) == 618  # 6.175 ₽ -> 6.18
    assert rub_kopecks(Decimal("0.00001"), Decimal("95"), Decimal("1")) == 1  # 0.095 kopeck -> 1
    assert rub_kopecks(Decimal("0.01"), Decimal("100"), Decimal("1")) == 100  # exact stays exact


def test_price_is_int_never_float():
    assert isinstance(rub_kopecks(Decimal("0.1"), Decimal("95.5"), Decimal("1.7")), int)


def test_format_rub():
    assert format_rub(76, "ru") == "0,76 ₽"
    assert format_rub(100, "ru") == "1 ₽"
    assert format_rub(123456, "ru") == "1\u00a0234,56 ₽"
    assert format_rub(-50, "ru") == "−0,50 ₽"


def test_rub_to_kopecks():
    assert rub_to_kopecks(Decimal("10")) == 1000
    assert rub_to_kopecks(Decimal("0.015")) == 2


def test_free_tier_is_five_cheapest_with_id_tiebreak():
    prices = {"b": 10, "a": 10, "c": 5, "d": 20, "e": 1, "f": 10, "g": 30}
    assert compute_free_tier(prices, set(prices)) == ["e", "c", "a", "b", "f"]


def test_free_tier_skips_disabled_models():
    prices = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    assert compute_free_tier(prices, {"b", "c", "d", "e", "f"}) == ["b", "c", "d", "e", "f"]


def test_free_tier_of_the_real_pricing_truth():
    catalog, truth = load_catalog(), load_pricing_truth()
    prices = free_tier_prices(catalog.enabled(), truth, Decimal("95"), Decimal("2"))
    tier = compute_free_tier(prices, set(prices))
    # Ranked by the dearest run: infinitalk/from-audio is 0.015 USD per second of audio, up to 15 s at 720p
    # (0.06 USD/s), so a free run could cost 0.90 USD: it is not free. 0.02 USD ties are broken by id.
    assert prices["infinitalk/from-audio"] == 17100
    assert tier == ["z-image", "recraft/remove-background", "google/imagen4-fast", "google/nano-banana",
                    "google/nano-banana-edit"]


def test_the_dearest_run_bounds_every_priced_option_and_quantity():
    catalog, truth = load_catalog(), load_pricing_truth()
    assert dearest_run_usd(catalog.get("infinitalk/from-audio"), truth) == Decimal("0.90")
    assert dearest_run_usd(catalog.get("grok-imagine/text-to-image"), truth) > truth.base["grok-imagine/text-to-image"]
    assert dearest_run_usd(catalog.get("z-image"), truth) == truth.base["z-image"]
    for model in catalog.enabled():  # every run a user can confirm costs at most the dearest run
        assert dearest_run_usd(model, truth) is not None, f"{model.id}: a run whose cost has no bound"


def test_override_must_be_exactly_five_known_ids():
    known = {"a", "b", "c", "d", "e", "f"}
    assert resolve_free_tier(["x"], [], known) == ["x"]
    assert resolve_free_tier([], ["a", "b", "c", "d", "f"], known) == ["a", "b", "c", "d", "f"]
    with pytest.raises(FreeTierError, match="exactly 5"):
        resolve_free_tier([], ["a", "b", "c", "d"], known)
    with pytest.raises(FreeTierError, match="exactly 5"):
        resolve_free_tier([], ["a", "a", "b", "c", "d"], known)
    with pytest.raises(FreeTierError, match="unknown models: nope"):
        resolve_free_tier([], ["a", "b", "c", "d", "nope"], known)


def test_pricing_truth_parser_rejects_garbage_and_duplicates():
    assert parse_pricing_truth("# c\nz-image: 0.0040 USD\n").base == {"z-image": Decimal("0.0040")}
    with pytest.raises(PricingError, match="line 1"):
        parse_pricing_truth("z-image 0.004\n")
    with pytest.raises(ValueError, match="duplicate"):
        parse_pricing_truth("a: 1 USD\na: 2 USD\n")


def test_startup_validation_passes_on_the_shipped_catalog():
    state = validate_startup(load_catalog(), load_pricing_truth(), Decimal("95"), Decimal("2"), [])
    assert len(state.prices) == 51 and len(state.free_tier) == 5  # every offered model ranked


def test_startup_validation_names_unpriced_models_and_bad_override():
    truth = load_pricing_truth()
    truth.base.pop("z-image")
    with pytest.raises(StartupError, match="without a price.*z-image"):
        validate_startup(load_catalog(), truth, Decimal("95"), Decimal("2"), [])
    with pytest.raises(StartupError, match="FREE_TIER_MODEL_IDS"):
        validate_startup(load_catalog(), load_pricing_truth(), Decimal("95"), Decimal("2"), ["z-image"])
