"""A model input's values on screen: the choices its buttons offer, a value as people read it."""
from __future__ import annotations

from typing import Any

from shared.catalog import FieldSpec
from shared.ui.format import number
from shared.ui.texts import t


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


def display_value(lang: str, f: FieldSpec, value: Any) -> str:
    if value is None:
        return t(lang, "value_default")
    if f.type == "boolean":
        return t(lang, "value_on" if value else "value_off")
    if f.is_media:
        count = len(value) if isinstance(value, list) else 1
        return f"📎 × {count}"
    if f.type == "number":
        return number(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"

