"""Every word the bot says, Russian first, English for people whose Telegram is English.

One table per language and audience (ru.py/en.py for users, admin_ru.py/admin_en.py for admins); the two
languages have the same keys and placeholders (tests/unit/test_texts.py). Texts are HTML (parse_mode=HTML):
values filled in must be escaped by the caller. Never name the upstream provider in a user's text.

A count's word is written as a placeholder with its forms: `{count} {count:модель|модели|моделей}` in Russian
(CLDR's one|few|many), `{count} {count:model|models}` in English (one|other). Babel's plural rules of the
language choose the form (plural()); Babel loads on the first plural, not with the tables.
"""
from __future__ import annotations

import string
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

from shared.ui.texts import admin_en, admin_ru, en, ru
from shared.ui.texts.labels import FIELD_LABELS

TEXTS: dict[str, dict[str, str]] = {"ru": {**ru.TEXTS, **admin_ru.TEXTS}, "en": {**en.TEXTS, **admin_en.TEXTS}}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` (Russian for any other language), filled with `values`."""
    template = TEXTS.get(lang, TEXTS["ru"])[key]
    return _Filler("en" if lang == "en" else "ru").vformat(template, (), values) if values else template


class _Filler(string.Formatter):
    """str.format, plus plural forms: a format spec with a `|` picks the form for the value."""

    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            return plural(self.lang, value, format_spec)
        return format(value, format_spec)


CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


def plural(lang: str, n: object, forms: str) -> str:
    """The form of a word for the count `n` (a number, or a number written as text: "1003", "24,8").
    `forms` lists the language's plural categories in CLDR order ("модель|модели|моделей": one, few, many;
    "model|models": one, other); a category without a form of its own (Russian fractions: other) takes the
    last one."""
    options = forms.split("|")
    categories, category_of = _rules("en" if lang == "en" else "ru")
    category = category_of(_number(n))
    index = categories.index(category) if category in categories else len(options) - 1
    return options[min(index, len(options) - 1)]


def _number(n: object) -> int | Decimal:
    if isinstance(n, int):
        return n
    try:
        return Decimal(str(n).replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return 0


# CLDR's plural rules of our languages, as Babel's locale data has them (tests/unit/test_language.py checks):
# loading a whole locale costs a cold start twice what Babel's rule engine alone does.
PLURAL_RULES = {
    "ru": {"one": "v in 0 and i mod 10 in 1 and i mod 100 not in 11",
           "few": "v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14",
           "many": "v in 0 and i mod 10 in 0 or v in 0 and i mod 10 in 5..9 or v in 0 and i mod 100 in 11..14"},
    "en": {"one": "i in 1 and v in 0"},
}


@lru_cache(maxsize=None)
def _rules(lang: str) -> tuple[tuple[str, ...], Callable[[object], str]]:
    """The language's plural categories (CLDR order) and Babel's rule; Babel loads here, on first use."""
    from babel.plural import PluralRule

    rule = PluralRule(PLURAL_RULES[lang])
    return tuple(c for c in CLDR_ORDER if c in rule.tags), rule


def label(lang: str, field_name: str) -> str:
    """The wizard's name of a model input."""
    ru_name, en_name = FIELD_LABELS.get(field_name, (field_name, field_name))
    return en_name if lang == "en" else ru_name
