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
}
