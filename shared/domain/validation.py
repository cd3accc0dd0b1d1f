"""Input validation against a model's schema: nothing is charged until this passes."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from shared.catalog import FieldSpec, ModelSpec


class InputProblem(BaseModel):
    """Why a value was refused; `code` picks the user-facing text, `params` fill it in."""

    field: str
    code: str
    params: dict[str, Any] = {}


class InvalidInput(ValueError):
    def __init__(self, problem: InputProblem):
        super().__init__(f"{problem.field}: {problem.code} {problem.params}")
        self.problem = problem


def _fail(field: FieldSpec, code: str, **params: Any) -> InvalidInput:
    return InvalidInput(InputProblem(field=field.name, code=code, params=params))


def parse_number(field: FieldSpec, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _fail(field, "not_a_number")
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise _fail(field, "not_a_number") from None
    if not number.is_finite():
        raise _fail(field, "not_a_number")
    if field.integer and number != number.to_integral_value():
        raise _fail(field, "not_integer")
    if field.min is not None and number < Decimal(str(field.min)):
        raise _fail(field, "out_of_range", min=_plain(field.min), max=_plain(field.max))
    if field.max is not None and number > Decimal(str(field.max)):
        raise _fail(field, "out_of_range", min=_plain(field.min), max=_plain(field.max))
    return int(number) if field.integer else float(number)


def _plain(x: float | None) -> str:
    if x is None:
        return "∞"
    return str(int(x)) if float(x).is_integer() else str(x)


# Control characters (NUL, escape sequences...) mean nothing in a prompt; line breaks and tabs stay.
_CONTROL = dict.fromkeys(c for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t")


def strip_controls(text: str) -> str:
    return text.translate(_CONTROL)


def _check_text(field: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _fail(field, "not_text")
    text = strip_controls(raw).strip()
    if not text:
        raise _fail(field, "empty")
    if field.max_length is not None and len(text) > field.max_length:
        raise _fail(field, "too_long", max=field.max_length, length=len(text))
    if field.min_length is not None and len(text) < field.min_length:
        raise _fail(field, "too_short", min=field.min_length)
    return text


def _check_urls(field: FieldSpec, raw: Any) -> str | list[str]:
    urls = raw if isinstance(raw, list) else [raw]
    if not urls or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
        raise _fail(field, "bad_file")
    if not field.multiple:
        if len(urls) != 1:
            raise _fail(field, "too_many_files", max=1)
        return urls[0]
    if field.max_count is not None and len(urls) > field.max_count:
        raise _fail(field, "too_many_files", max=field.max_count)
    if field.min_count and len(urls) < field.min_count:
        raise _fail(field, "too_few_files", min=field.min_count)
    return list(urls)


def check_value(field: FieldSpec, raw: Any) -> Any:
    """Return the value as KIE expects it, or raise InvalidInput."""
    kind = field.type
    if kind == "text":
        return _check_text(field, raw)
    if kind == "enum":
        value = str(raw)
        if value not in field.values:
            raise _fail(field, "not_in_list", values=", ".join(field.values))
        return value
    if kind == "number":
        return parse_number(field, raw)
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise _fail(field, "not_boolean")
        return raw
    if kind in ("image", "audio", "video"):
        return _check_urls(field, raw)
    if kind == "url":
        text = _check_text(field, raw)
        if field.url_prefix and not text.startswith(field.url_prefix):
            raise _fail(field, "bad_link", prefix=field.url_prefix)
        return text
    if kind == "task_ref":
        return _check_text(field, raw)
    raise _fail(field, "not_accepted")


def effective_value(field: FieldSpec, inputs: dict[str, Any]) -> Any:
    """What the user chose, else the fixed value, else the default (None: omit)."""
    if field.ui == "fixed":
        return field.value
    if field.name in inputs:
        return inputs[field.name]
    return field.default


def build_payload(model: ModelSpec, inputs: dict[str, Any]) -> dict[str, Any]:
    """The `input` object for KIE's createTask; raises InvalidInput on the first problem."""
    values: dict[str, Any] = {}
    for field in model.fields:
        if field.ui == "hidden":
            continue
        value = effective_value(field, inputs)
        if value is None:
            if field.required:
                raise _fail(field, "required")
            continue
        value = check_value(field, value) if field.ui != "fixed" else value
        if field.send_as == "string":
            value = str(value)
        elif field.send_as == "integer":
            value = int(value)
        values[field.name] = value
    if model.one_of_required and not any(name in values for name in model.one_of_required):
        raise InvalidInput(InputProblem(field=model.one_of_required[0], code="required"))
    chosen = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    for combo in model.forbidden:
        if all(chosen.get(k) == v for k, v in combo.items()):
            raise InvalidInput(InputProblem(field=next(iter(combo)), code="forbidden_combo",
                                            params={"combo": ", ".join(f"{k} {v}" for k, v in combo.items())}))
    _check_file_counts(model, values, chosen)
    return {model.field(name).kie_field: value for name, value in values.items()}


def _check_file_counts(model: ModelSpec, values: dict[str, Any], chosen: dict[str, str]) -> None:
    """Files a field takes under the chosen options (a mode that needs none, or one to three)."""
    for rule in model.file_counts:
        if any(chosen.get(k) != v for k, v in rule.when.items()):
            continue
        given = values.get(rule.field) or []
        count = len(given) if isinstance(given, list) else 1
        if rule.max == 0 and count:
            raise InvalidInput(InputProblem(field=rule.field, code="files_not_wanted"))
        if count < rule.min:
            raise InvalidInput(InputProblem(field=rule.field, code="too_few_files", params={"min": rule.min}))
        if count > rule.max:
            raise InvalidInput(InputProblem(field=rule.field, code="too_many_files", params={"max": rule.max}))


def _chosen(model: ModelSpec, inputs: dict[str, Any]) -> dict[str, str]:
    values = {f.name: effective_value(f, inputs) for f in model.fields if f.ui != "hidden"}
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items() if v is not None}


def file_range(model: ModelSpec, field: FieldSpec, inputs: dict[str, Any]) -> tuple[int, int]:
    """How many files a media field takes under the options chosen so far: the mode's rule (Veo: none from
    text, 1-2 frames, 1-3 references), else the field's own limits."""
    chosen = _chosen(model, inputs)
    for rule in model.file_counts:
        if rule.field == field.name and all(chosen.get(k) == v for k, v in rule.when.items()):
            return rule.min, rule.max
    return (1 if field.required else 0), ((field.max_count or 1) if field.multiple else 1)


def files_problem(model: ModelSpec, inputs: dict[str, Any]) -> InputProblem | None:
    """A media field whose files do not fit the chosen mode (too few, too many, or none wanted), if any."""
    try:
        _check_file_counts(model, {f.name: inputs.get(f.name) for f in model.fields if f.is_media}, _chosen(model, inputs))
    except InvalidInput as err:
        return err.problem
    return None


def missing_asked_field(model: ModelSpec, inputs: dict[str, Any], skipped: list[str]) -> FieldSpec | None:
    """The next wizard step: the first asked field with no value yet and not skipped (a media step the
    chosen mode takes no files for is not asked)."""
    for field in model.asked:
        if field.name in inputs or field.name in skipped:
            continue
        if field.is_media and file_range(model, field, inputs)[1] == 0:
            continue
        return field
    return None


def number_presets(f: FieldSpec) -> list[int | float]:
    """A handful of values across the field's range, always including min, default and max."""
    lo, hi = f.min, f.max
    points: list[float] = [p for p in (lo, f.default, hi) if p is not None]
    if lo is not None and hi is not None:
        points += [lo + (hi - lo) * k / 4 for k in (1, 2, 3)]
    values = sorted({round(p) if f.integer else round(p, 2) for p in points})
    return [int(v) if f.integer or float(v).is_integer() else v for v in values][:6]


def choices(f: FieldSpec) -> list[Any]:
    """The values a field offers as buttons; a button's callback carries the index."""
    if f.type == "enum":
        return list(f.values)
    if f.type == "boolean":
        return [True, False]
    if f.type == "number":
        return number_presets(f)
    return []
