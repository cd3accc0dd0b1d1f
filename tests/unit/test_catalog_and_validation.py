import json

import pytest

from shared.catalog import CATALOG_PATH, load_catalog, parse_catalog
from shared.domain.validation import InvalidInput, build_payload, check_value, missing_asked_field

CATALOG = load_catalog()
REFERENCE = json.loads((CATALOG_PATH.parents[2] / "infra" / "kie_sim" / "kie_models.json").read_text())


def sample_value(field):
    if field.type == "text":
        return "a cat in space"[: field.max_length or 100].ljust(field.min_length or 1, "x")
    if field.type == "enum":
        return field.default if field.default is not None else field.values[0]
    if field.type == "number":
        return field.default if field.default is not None else field.min
    if field.type == "boolean":
        return False
    if field.type in ("image", "audio", "video"):
        url = f"https://files.example/{field.type}.bin"
        return [url] * max(1, field.min_count or 1) if field.multiple else url
    if field.type == "url":
        return (field.url_prefix or "https://") + "p/s_123"
    return "task123"


@pytest.mark.parametrize("model", CATALOG.models, ids=lambda m: m.id)
def test_every_model_schema_is_valid_and_builds_a_payload(model):
    assert model.enabled and model.name.ru and model.name.en and model.description.ru
    inputs = {f.name: sample_value(f) for f in model.fields if f.ui in ("ask", "option") and f.required}
    if model.one_of_required:
        first = model.field(model.one_of_required[0])
        inputs[first.name] = sample_value(first)
    payload = build_payload(model, inputs)
    reference_fields = REFERENCE[model.id]["input"]
    assert set(payload) <= set(reference_fields), "only fields the provider knows are sent"
    for name, spec in reference_fields.items():
        if spec.get("required"):
            assert name in payload, f"required {name} missing"
        if "enum" in spec and name in payload:
            assert payload[name] in spec["enum"]
        if spec["type"] == "string" and name in payload:
            assert isinstance(payload[name], str), f"{name} must be sent as a string"


def test_catalog_has_42_models_in_four_categories():
    assert len(CATALOG.models) == 42
    assert {m.category for m in CATALOG.models} == {"image", "video", "audio", "tools"}
    assert set(REFERENCE) - {"_meta"} == {m.id for m in CATALOG.models}


def test_catalog_rejects_an_invalid_schema():
    data = json.loads(CATALOG_PATH.read_text())
    data["models"][0]["fields"][0] = {"name": "x", "type": "enum", "ui": "ask", "values": []}
    with pytest.raises(ValueError, match="enum without values"):
        parse_catalog(data)


def test_text_limits_and_messages():
    z = CATALOG.get("z-image")
    prompt = z.field("prompt")
    assert check_value(prompt, "  кот  ") == "кот"
    with pytest.raises(InvalidInput) as err:
        check_value(prompt, "x" * 1001)
    assert err.value.problem.code == "too_long" and err.value.problem.params["max"] == 1000
    with pytest.raises(InvalidInput):
        check_value(prompt, "   ")


def test_enum_number_and_boolean_checks():
    z = CATALOG.get("z-image")
    with pytest.raises(InvalidInput) as err:
        check_value(z.field("aspect_ratio"), "2:1")
    assert err.value.problem.code == "not_in_list"
    cfg = CATALOG.get("kling/v2-5-turbo-text-to-video-pro").field("cfg_scale")
    assert check_value(cfg, "0,7") == 0.7
    with pytest.raises(InvalidInput) as err:
        check_value(cfg, "1.5")
    assert err.value.problem.code == "out_of_range"
    frames = CATALOG.get("wan/2-2-a14b-speech-to-video-turbo").field("num_frames")
    with pytest.raises(InvalidInput) as err:
        check_value(frames, "50.5")
    assert err.value.problem.code == "not_integer"
    with pytest.raises(InvalidInput):
        check_value(CATALOG.get("kling-2.6/text-to-video").field("sound"), "yes")


def test_missing_required_is_reported_before_any_charge():
    with pytest.raises(InvalidInput) as err:
        build_payload(CATALOG.get("z-image"), {})
    assert err.value.problem.field == "prompt" and err.value.problem.code == "required"


def test_fixed_fields_are_sent_and_hidden_ones_never():
    payload = build_payload(CATALOG.get("google/nano-banana"), {"prompt": "p"})
    assert "image_size" not in payload
    payload = build_payload(CATALOG.get("z-image"), {"prompt": "p"})
    assert payload == {"prompt": "p", "aspect_ratio": "1:1", "nsfw_checker": True}


def test_wizard_asks_required_fields_in_order_and_honours_skips():
    z = CATALOG.get("z-image")
    assert missing_asked_field(z, {}, []).name == "prompt"
    assert missing_asked_field(z, {"prompt": "p"}, []).name == "aspect_ratio"
    assert missing_asked_field(z, {"prompt": "p", "aspect_ratio": "1:1"}, []) is None
    pro = CATALOG.get("nano-banana-pro")
    assert missing_asked_field(pro, {"prompt": "p"}, ["image_input"]) is None
