import json

import pytest

from shared.catalog import CATALOG_PATH, load_catalog, parse_catalog
from shared.domain.validation import InvalidInput, build_payload, check_value, file_range, missing_asked_field

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
    assert model.enabled != bool(model.retired) and model.name.ru and model.name.en and model.description.ru
    inputs = {f.name: sample_value(f) for f in model.fields if f.ui in ("ask", "option") and f.required}
    if model.one_of_required:
        first = model.field(model.one_of_required[0])
        inputs[first.name] = sample_value(first)
    for rule in model.file_counts:  # a mode that takes files gets as many as it needs
        if all(inputs.get(k) == v for k, v in rule.when.items()):
            inputs[rule.field] = [sample_value(model.field(rule.field))[0]] * rule.min
            inputs[rule.field] = inputs[rule.field] or None
    inputs = {k: v for k, v in inputs.items() if v is not None}
    payload = build_payload(model, inputs)
    reference_fields = REFERENCE[model.provider_model]["input"]
    assert set(payload) <= set(reference_fields), "only fields the provider knows are sent"
    for name, spec in reference_fields.items():
        if spec.get("required"):
            assert name in payload, f"required {name} missing"
        if "enum" in spec and name in payload:
            assert payload[name] in spec["enum"]
        if spec["type"] == "string" and name in payload:
            assert isinstance(payload[name], str), f"{name} must be sent as a string"


def test_catalog_has_55_models_51_offered_in_four_categories():
    assert len(CATALOG.models) == 55 and len(CATALOG.enabled()) == 51
    assert {m.category for m in CATALOG.enabled()} == {"image", "video", "audio", "tools"}
    sent = {m.provider_model for m in CATALOG.models}
    assert sent <= set(REFERENCE), "every model we send is one the simulator's reference knows"
    legacy = {k for k, v in REFERENCE.items() if "api" in v}  # per-family endpoints: their createTask forms are sent
    superseded = {k for k, v in REFERENCE.items() if str(v.get("status", "")).startswith("superseded")}
    assert set(REFERENCE) - {"_meta"} - sent == legacy | superseded


def test_the_rotted_snapshot_is_retired_with_its_reasons():
    retired = {m.id: m.retired for m in CATALOG.models if not m.enabled}
    assert set(retired) == {"sora-2-text-to-video", "sora-2-image-to-video", "sora-watermark-remover",
                            "elevenlabs/sound-effect-v2"}
    assert all("2026" in reason and "provider" in reason for reason in retired.values())
    assert CATALOG.get("kling/ai-avatar-v1-pro") is None and CATALOG.get("kling/ai-avatar-pro").enabled
    data = json.loads(CATALOG_PATH.read_text())
    data["models"][0]["enabled"] = False  # hidden without a reason
    with pytest.raises(ValueError, match="reason"):
        parse_catalog(data)
    data = json.loads(CATALOG_PATH.read_text())
    del next(f for f in data["models"][0]["fields"] if f["ui"] == "fixed")["reason"]
    with pytest.raises(ValueError, match="fixed field needs its reason"):
        parse_catalog(data)


def test_voices_are_the_providers_67_ids_shown_with_descriptions():
    reference = REFERENCE["elevenlabs/text-to-speech-multilingual-v2"]["input"]["voice"]
    for model_id in ("elevenlabs/text-to-speech-multilingual-v2", "elevenlabs/text-to-speech-turbo-2-5"):
        voice = CATALOG.get(model_id).field("voice")
        assert voice.values == reference["enum"] and len(voice.values) == 67
        assert voice.default == "EkK5I93UQWFDigLMpZcX" == reference["default"]
        assert set(voice.labels) == set(voice.values)
        assert voice.value_label(voice.default, "ru") == "James — хрипловатый, увлекающий, смелый"
        assert voice.value_label(voice.default, "en") == "James — Husky, Engaging and Bold"
        assert "Rachel" not in voice.values
        language = CATALOG.get(model_id).field("language_code")
        assert language.ui == "hidden" and language.reason
    with pytest.raises(InvalidInput):
        check_value(voice, "Rachel")


def test_veo_modes_take_the_files_they_need():
    veo = CATALOG.get("veo-3-1/fast")
    base = {"prompt": "a fox runs", "generation_type": "TEXT_2_VIDEO"}
    payload = build_payload(veo, base)
    assert veo.provider_model == "veo-3-1" and payload["model"] == "veo3_fast"
    assert payload["duration"] == 8 and payload["enable_translation"] is True and "image_urls" not in payload
    photo = "https://files.example/a.png"
    with pytest.raises(InvalidInput) as err:
        build_payload(veo, {**base, "image_urls": [photo]})
    assert err.value.problem.code == "files_not_wanted"
    frames = {**base, "generation_type": "FIRST_AND_LAST_FRAMES_2_VIDEO"}
    with pytest.raises(InvalidInput) as err:
        build_payload(veo, frames)
    assert err.value.problem.code == "too_few_files"
    with pytest.raises(InvalidInput) as err:
        build_payload(veo, {**frames, "image_urls": [photo] * 3})
    assert err.value.problem.code == "too_many_files" and err.value.problem.params == {"max": 2}
    references = {**base, "generation_type": "REFERENCE_2_VIDEO", "image_urls": [photo] * 3}
    assert build_payload(veo, references)["image_urls"] == [photo] * 3
    with pytest.raises(InvalidInput) as err:
        build_payload(veo, {**references, "duration": "4"})
    assert err.value.problem.code == "forbidden_combo"
    assert "REFERENCE_2_VIDEO" not in CATALOG.get("veo-3-1/quality").field("generation_type").values


def test_suno_custom_sends_the_providers_names():
    suno = CATALOG.get("suno/generate-custom")
    payload = build_payload(suno, {"lyrics": "la la", "music_style": "synthwave", "title": "Night"})
    assert suno.provider_model == CATALOG.get("suno/generate").provider_model == "ai-music-api/generate"
    assert payload["prompt"] == "la la" and payload["style"] == "synthwave" and payload["custom_mode"] is True
    assert "lyrics" not in payload and payload["model"] == "V6"
    simple = build_payload(CATALOG.get("suno/generate"), {"prompt": "a song about cats", "instrumental": False})
    assert simple == {"prompt": "a song about cats", "instrumental": False, "model": "V6", "custom_mode": False}


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


def test_a_media_step_follows_the_chosen_mode():
    """Veo 3.1: from text the photo step is not asked; frames take 1-2, references 1-3."""
    model = load_catalog().get("veo-3-1/lite")
    photos = model.field("image_urls")
    text_mode = {"prompt": "a cat", "generation_type": "TEXT_2_VIDEO"}
    assert file_range(model, photos, text_mode) == (0, 0)
    assert missing_asked_field(model, text_mode, []) is None
    frames = {"prompt": "a cat", "generation_type": "FIRST_AND_LAST_FRAMES_2_VIDEO"}
    assert file_range(model, photos, frames) == (1, 2)
    assert missing_asked_field(model, frames, []) is photos
    assert file_range(model, photos, {**frames, "generation_type": "REFERENCE_2_VIDEO"}) == (1, 3)
    plain = load_catalog().get("google/nano-banana-edit")
    assert file_range(plain, plain.field("image_urls"), {}) == (1, plain.field("image_urls").max_count)
