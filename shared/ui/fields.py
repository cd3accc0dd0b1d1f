"""A model input's value as people read it."""
from __future__ import annotations

import re
from typing import Any

from shared.catalog import FieldSpec
from shared.ui.format import number
from shared.ui.texts import t
from shared.ui.texts.labels import VALUE_LABELS


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
    text = option_text(lang, f, value)
    return text if len(text) <= 60 else text[:57] + "…"


SPEAKS_FOR_ITSELF = re.compile(r"\d+(\.\d+)?|\d+:\d+|\d+[pPkK]")  # 10, 16:9, 720p, 4K: the same in any language


def option_text(lang: str, f: FieldSpec, value: Any) -> str:
    """An option value as the user reads it: the catalog's label for the field, else our word for the value
    (shared/ui/texts/labels.py VALUE_LABELS), else the value itself (numbers, ratios, sizes)."""
    catalog_label = f.value_label(value, lang)
    if catalog_label:
        return catalog_label
    words = VALUE_LABELS.get(str(value))
    return (words[1] if lang == "en" else words[0]) if words else str(value)
