"""A model input's value as people read it."""
from __future__ import annotations

from typing import Any

from shared.catalog import FieldSpec
from shared.ui.format import number
from shared.ui.texts import t


def display_value(lang: str, f: FieldSpec, value: Any) -> str:
    if value is None:
        return t(lang, "value_default")
    if f.type == "boolean":
        return t(lang, "value_on" if value else "value_off")
    if f.is_media:
        count = len(value) if isinstance(value, list) else 1
        return f"📎 × {count}"
    if f.type == "number":
        return number(value, lang)
    text = f.value_label(value, lang) or str(value)
    return text if len(text) <= 60 else text[:57] + "…"

