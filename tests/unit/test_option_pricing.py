from decimal import Decimal

import pytest

from shared.catalog import load_catalog, load_pricing_truth
from shared.domain.pricing import PricingError, parse_pricing_truth
from shared.domain.quote import coverage_problems, quote_kopecks, quote_usd

CATALOG = load_catalog()
TRUTH = load_pricing_truth()
FX, MARKUP = Decimal("95"), Decimal("2")


def rub(model_id, inputs, media=None):
    return quote_kopecks(CATALOG.get(model_id), TRUTH, inputs, media, FX, MARKUP)


def test_kling_price_depends_on_duration_and_sound():
    base = {"prompt": "p", "aspect_ratio": "1:1"}
    assert rub("kling-2.6/text-to-video", {**base, "duration": "5", "sound": False}) == 5225  # 55 cr = 0.275 USD
    assert rub("kling-2.6/text-to-video", {**base, "duration": "5", "sound": True}) == 10450
    assert rub("kling-2.6/text-to-video", {**base, "duration": "10", "sound": False}) == 10450
    assert rub("kling-2.6/text-to-video", {**base, "duration": "10", "sound": True}) == 20900


def test_defaults_apply_when_the_user_kept_them():
    # sound is required with default false, duration defaults to 5
    assert rub("kling-2.6/text-to-video", {"prompt": "p"}) == 5225


def test_per_second_of_a_number_option():
    seedance = {"prompt": "ppp", "aspect_ratio": "1:1", "duration": 8, "resolution": "1080p", "generate_audio": True}
    assert quote_usd(CATALOG.get("bytedance/seedance-1.5-pro"), TRUTH, seedance) == Decimal("0.075") * 8


def test_per_second_of_an_uploaded_audio_rounds_seconds_up():
    media = {"audio_url": [{"duration_s": 4.2}]}
    inputs = {"prompt": "p", "image_url": "https://x/i.png", "audio_url": "https://x/a.mp3"}
    assert quote_usd(CATALOG.get("kling/ai-avatar-pro"), TRUTH, inputs, media) == Decimal("0.08") * 5


def test_per_1000_characters_is_prorated():
    text = "я" * 250
    voice = "EkK5I93UQWFDigLMpZcX"
    usd = quote_usd(CATALOG.get("elevenlabs/text-to-speech-turbo-2-5"), TRUTH, {"text": text, "voice": voice})
    assert usd == Decimal("0.03") * 250 / 1000
    assert rub("elevenlabs/text-to-speech-turbo-2-5", {"text": text, "voice": voice}) == 143  # 1.425 ₽ -> 1.43


def test_frames_over_fps_give_seconds():
    inputs = {"prompt": "p", "image_url": "u", "audio_url": "u", "num_frames": 80, "frames_per_second": 16}
    assert quote_usd(CATALOG.get("wan/2-2-a14b-speech-to-video-turbo"), TRUTH, inputs) == Decimal("0.06") * 5


def test_upscaler_is_priced_by_output_size():
    topaz = CATALOG.get("topaz/image-upscale")
    small = {"image_url": [{"width": 1000, "height": 800}]}
    assert quote_usd(topaz, TRUTH, {"image_url": "u", "upscale_factor": "2"}, small) == Decimal("0.05")
    assert quote_usd(topaz, TRUTH, {"image_url": "u", "upscale_factor": "4"}, small) == Decimal("0.1")
    assert quote_usd(topaz, TRUTH, {"image_url": "u", "upscale_factor": "8"}, small) == Decimal("0.2")
    assert quote_usd(topaz, TRUTH, {"image_url": "u", "upscale_factor": "1"}, {}) == Decimal("0.2"), "unknown size: worst case"


def test_flat_models_use_the_base_line():
    assert rub("z-image", {"prompt": "p"}) == 76
    assert rub("google/nano-banana", {"prompt": "p"}) == 380


def test_every_allowed_option_combination_of_every_model_has_a_price():
    problems = [p for m in CATALOG.models for p in coverage_problems(m, TRUTH)]
    assert problems == []


def test_a_missing_option_line_is_caught():
    text = "m: 1 USD\nm {duration=5}: 1 USD\n"
    truth = parse_pricing_truth(text)
    model = CATALOG.get("kling/v2-5-turbo-text-to-video-pro").model_copy(update={"id": "m"})
    assert coverage_problems(model, truth) == ["m: no price for duration=10"]


def test_forbidden_combination_needs_no_price_and_is_refused():
    from shared.domain.validation import InvalidInput, build_payload

    hailuo = CATALOG.get("hailuo/2-3-image-to-video-pro")
    with pytest.raises(InvalidInput) as err:
        build_payload(hailuo, {"prompt": "p", "image_url": "https://x/i.png", "duration": "10", "resolution": "1080P"})
    assert err.value.problem.code == "forbidden_combo"


def test_truth_grammar_errors():
    with pytest.raises(PricingError, match="without a base line"):
        parse_pricing_truth("m {a=1}: 1 USD\n")
    with pytest.raises(PricingError, match="duplicate option line"):
        parse_pricing_truth("m: 1 USD\nm {a=1}: 1 USD\nm {a=1}: 2 USD\n")
    with pytest.raises(PricingError, match="cannot read"):
        parse_pricing_truth("m: 1 EUR\n")
