"""Every word the bot says, Russian first, English for people whose Telegram is English.

One table per language and audience (ru.py/en.py for users, admin_ru.py/admin_en.py for admins); the two
languages have the same keys and placeholders (tests/unit/test_texts.py). Texts are HTML (parse_mode=HTML):
values filled in must be escaped by the caller. Never name the upstream provider in a user's text.
"""
from __future__ import annotations

from shared.ui.texts import admin_en, admin_ru, en, ru
from shared.ui.texts.labels import FIELD_LABELS

TEXTS: dict[str, dict[str, str]] = {"ru": {**ru.TEXTS, **admin_ru.TEXTS}, "en": {**en.TEXTS, **admin_en.TEXTS}}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` (Russian for any other language), filled with `values`."""
    template = TEXTS.get(lang, TEXTS["ru"])[key]
    return template.format(**values) if values else template


def label(lang: str, field_name: str) -> str:
    """The wizard's name of a model input."""
    ru_name, en_name = FIELD_LABELS.get(field_name, (field_name, field_name))
    return en_name if lang == "en" else ru_name
