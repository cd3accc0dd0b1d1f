"""createTask `input` validation driven by kie_models.json; errors read like KIE's 422 msgs."""
import math
from urllib.parse import urlparse

URL_FIELDS = {
    "image_url", "image_urls", "input_urls", "image_input", "image",
    "audio_url", "video_url", "video_urls", "tail_image_url",
}


class InputError(ValueError):
    """A 422 validation failure; str(err) is the msg sent to the client."""


def validate_input(spec, payload):
    """Raise InputError for the first problem found in `payload` (the `input` object)."""
    if not isinstance(payload, dict):
        raise InputError("input is required and must be an object")
    fields = spec["input"]
    _check_unknown(fields, payload)
    _check_required(fields, payload)
    _check_one_of(spec.get("one_of_required"), payload)
    for name, value in payload.items():
        if value is not None:  # an explicit null is treated like an omitted optional field
            _check_field(name, fields[name], value)
    rule = MODEL_RULES.get(spec.get("kie_model"))
    if rule:
        rule(payload)


def _check_unknown(fields, payload):
    for name in payload:
        if name not in fields:
            raise InputError(f"{name} is not a supported input parameter for this model")


def _check_required(fields, payload):
    for name, field in fields.items():
        if field.get("required") and _is_missing(payload.get(name)):
            raise InputError(f"{name} is required")


def _check_one_of(names, payload):
    if not names:
        return
    given = [n for n in names if not _is_missing(payload.get(n))]
    if len(given) != 1:
        raise InputError(f"exactly one of {', '.join(names)} is required")


def _is_missing(value):
    return value is None or value == "" or value == []


def _check_field(name, field, value):
    kind = field.get("type", "string")
    checker = _CHECKERS.get(kind)
    if checker is None:
        raise InputError(f"{name} has unsupported type {kind} in the simulator catalog")
    checker(name, field, value)
    if name in URL_FIELDS or "file_types" in field:
        _check_urls(name, value)


def _check_string(name, field, value):
    if not isinstance(value, str):
        raise InputError(f"{name} is invalid: must be a string")
    _check_enum(name, field.get("enum"), value)
    if "max" in field and len(value) > field["max"]:
        raise InputError(f"{name} is invalid: length must be at most {field['max']} characters")
    if "min" in field and len(value) < field["min"]:
        raise InputError(f"{name} is invalid: length must be at least {field['min']} characters")


def _check_enum(name, allowed, value):
    if allowed and str(value) not in [str(a) for a in allowed]:
        raise InputError(f"{name} is invalid: must be one of {', '.join(map(str, allowed))}")


def _check_boolean(name, field, value):
    if not isinstance(value, bool):
        raise InputError(f"{name} is invalid: must be a boolean")


def _check_number(name, field, value):
    if not _is_number(value):
        raise InputError(f"{name} is invalid: must be a number")
    _check_range(name, field, value)


def _check_integer(name, field, value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"{name} is invalid: must be an integer")
    _check_enum(name, field.get("enum"), value)
    _check_range(name, field, value)


def _check_number_or_string(name, field, value):
    """Durations that moved from string enums to numbers: accept both forms."""
    if isinstance(value, str):
        if value in field.get("enum_legacy", []):
            return
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"{name} is invalid: must be a number") from None
        if not math.isfinite(value):
            raise InputError(f"{name} is invalid: must be a number")
    _check_number(name, field, value)


def _check_range(name, field, value):
    low, high = field.get("min"), field.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{name} is invalid: must be between {low} and {high}")


def _check_array(name, field, value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{name} is invalid: must be an array of strings")
    if "max" in field and len(value) > field["max"]:
        raise InputError(f"{name} is invalid: must contain at most {field['max']} items")
    if "min" in field and len(value) < field["min"]:
        raise InputError(f"{name} is invalid: must contain at least {field['min']} items")


def _check_objects(name, field, value):
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"{name} is invalid: must be an array of objects")
    if "max" in field and len(value) > field["max"]:
        raise InputError(f"{name} is invalid: must contain at most {field['max']} items")


def _check_urls(name, value):
    for url in value if isinstance(value, list) else [value]:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InputError(f"{name} is invalid: must be an http(s) file URL")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_CHECKERS = {
    "string": _check_string,
    "boolean": _check_boolean,
    "number": _check_number,
    "integer": _check_integer,
    "number|string": _check_number_or_string,
    "array<string>": _check_array,
    "array<object>": _check_objects,
}


# --- what a model's docs say beyond its field list ------------------------------------------------

def _veo(payload):
    """Veo 3.1: the mode decides the images; references only on Lite and Fast, 8 s, 16:9 or 9:16."""
    tier = payload.get("model") or "veo3_fast"
    images = len(payload.get("image_urls") or [])
    mode = payload.get("generation_type") or ("FIRST_AND_LAST_FRAMES_2_VIDEO" if images else "TEXT_2_VIDEO")
    if mode == "TEXT_2_VIDEO" and images:
        raise InputError("image_urls is invalid: TEXT_2_VIDEO takes no images")
    if mode == "FIRST_AND_LAST_FRAMES_2_VIDEO" and not 1 <= images <= 2:
        raise InputError("image_urls is invalid: FIRST_AND_LAST_FRAMES_2_VIDEO takes 1 or 2 images")
    if mode == "REFERENCE_2_VIDEO":
        if tier == "veo3":
            raise InputError("generation_type is invalid: REFERENCE_2_VIDEO is supported by veo3_fast and veo3_lite")
        if not 1 <= images <= 3:
            raise InputError("image_urls is invalid: REFERENCE_2_VIDEO takes 1 to 3 images")
        if payload.get("duration", 8) != 8 or payload.get("aspect_ratio", "16:9") not in ("16:9", "9:16"):
            raise InputError("REFERENCE_2_VIDEO supports only 8 s at 16:9 or 9:16")


def _gpt_image(refused):
    def rule(payload):
        combo = (payload.get("aspect_ratio", "auto"), payload.get("resolution"))
        if combo in refused:
            raise InputError(f"aspect_ratio {combo[0]} is not supported at resolution {combo[1]}")
    return rule


def _suno(payload):
    """Suno: custom mode needs a style and a title (and lyrics unless instrumental); simple mode a short idea."""
    if payload.get("custom_mode"):
        for name in ("style", "title") + (() if payload.get("instrumental") else ("prompt",)):
            if _is_missing(payload.get(name)):
                raise InputError(f"{name} is required when custom_mode is true")
        return
    prompt = payload.get("prompt")
    if _is_missing(prompt):
        raise InputError("prompt is required when custom_mode is false")
    if len(prompt) > 500:
        raise InputError("prompt is invalid: at most 500 characters when custom_mode is false")


def _language_code_refused(payload):
    if not _is_missing(payload.get("language_code")):
        raise InputError("language_code is not supported by this model (only Turbo and Flash v2.5)")


MODEL_RULES = {
    "veo-3-1": _veo,
    "gpt-image-2-text-to-image": _gpt_image({(a, r) for r in ("2K", "4K")
                                             for a in ("5:4", "4:5", "3:1", "1:3", "9:21")}),
    "gpt-image-2-image-to-image": _gpt_image({(a, r) for a in ("auto", "5:4", "4:5") for r in ("2K", "4K")}
                                             | {("1:1", "4K")}),
    "ai-music-api/generate": _suno,
    "elevenlabs/text-to-speech-multilingual-v2": _language_code_refused,
}
