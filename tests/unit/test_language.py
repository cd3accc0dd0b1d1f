"""Plural forms by Babel's rules, written in the tables as `{n:form|form|form}`; numbers one way per language."""
from __future__ import annotations

import string
from decimal import Decimal

import pytest

from shared.catalog import load_catalog
from shared.domain.pricing import SEPARATORS, format_decimal, format_rub
from shared.ui.fields import SPEAKS_FOR_ITSELF, option_text
from shared.ui.format import localized, number
from shared.ui.texts import PLURAL_RULES, TEXTS, plural, t
from shared.ui.texts.labels import VALUE_LABELS

RU, EN = "модель|модели|моделей", "model|models"


@pytest.mark.parametrize("n, russian, english", [
    (0, "моделей", "models"), (1, "модель", "model"), (2, "модели", "models"), (3, "модели", "models"),
    (5, "моделей", "models"), (11, "моделей", "models"), (12, "моделей", "models"), (21, "модель", "models"),
    (22, "модели", "models"), (101, "модель", "models"), (111, "моделей", "models"), (1003, "модели", "models"),
    ("1003", "модели", "models"), ("1\u00a0001", "модель", "models"),
])
def test_plural_forms_follow_the_rules_of_each_language(n, russian, english):
    assert plural("ru", n, RU) == russian
    assert plural("en", n, EN) == english


def test_texts_fill_plural_placeholders():
    assert t("ru", "problem_too_long", length=1003, max=1000) == "Слишком длинный текст: 1003 символа, а можно до 1000."
    assert t("en", "problem_too_long", length=1003, max=1000) == "The text is too long: 1003 characters, the limit is 1000."
    assert "3 получателя" in t("ru", "adm_broadcast_preview", count=3, text="")
    assert "21 получатель" in t("ru", "adm_broadcast_preview", count=21, text="")
    assert "1 recipient)" in t("en", "adm_broadcast_preview", count=1, text="")
    assert "· 21 модель\n" in t("ru", "catalog_header", title="Видео", count=21, note="")


FORMS = {"ru": 3, "en": 2}  # Russian one|few|many, English one|other


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_plural_placeholder_has_the_forms_of_its_language(lang):
    for key, template in TEXTS[lang].items():
        for _, name, spec, _ in string.Formatter().parse(template):
            if spec and "|" in spec:
                assert len(spec.split("|")) == FORMS[lang], (key, spec)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_our_separators_are_babels(lang):
    from babel.core import Locale
    from babel.numbers import format_currency

    symbols = Locale.parse(lang).number_symbols["latn"]
    assert SEPARATORS[lang] == (symbols["decimal"], symbols["group"].replace("\u202f", "\u00a0"))
    # where the symbol goes: CLDR's currency pattern of the language, with the rouble sign
    babel = format_currency(Decimal("12345.67"), "RUB", locale=lang).replace("RUB", "₽").replace("\u00a0", " ")
    ours = format_rub(1_234_567, lang).replace("\u00a0", " ")
    assert ours == babel


def test_money_and_numbers_one_way_per_language():
    assert format_rub(1330, "ru") == "13,30 ₽" and format_rub(1330, "en") == "₽13.30"
    assert format_rub(6650, "en") == "₽66.50" and format_rub(100, "en") == "₽1" and format_rub(-500, "en") == "−₽5"
    assert format_decimal(24.8) == "24,8" and format_decimal(24.8, "en") == "24.8"
    assert format_decimal(0.82, places=2) == "0,82" and format_decimal(1.5, "en", 2, trim=False) == "1.50"
    assert number(0.5) == "0,5" and number(0.5, "en") == "0.5" and number(10.0) == "10"
    assert localized("ru", "24.8") == "24,8" and localized("ru", 3) == 3
    assert "24,8 МБ" in t("ru", "problem_too_big", size=localized("ru", "24.8"), max="20")


def test_every_option_value_a_user_sees_has_a_russian_and_an_english_label():
    """Every value of every enabled catalog model's choice: the catalog's label in both languages, our word
    for it (VALUE_LABELS) or a value that reads the same in any language (numbers, ratios, sizes)."""
    missing = []
    for model in load_catalog().models:
        if not model.enabled:
            continue
        for f in model.fields:
            for value in f.values or []:
                labelled = f.labels.get(str(value)) or {}
                if labelled.get("ru") and labelled.get("en"):
                    continue
                if str(value) in VALUE_LABELS or SPEAKS_FOR_ITSELF.fullmatch(str(value)):
                    continue
                missing.append(f"{model.id}.{f.name}={value}")
    assert missing == []
    assert all(ru and en for ru, en in VALUE_LABELS.values())


def test_option_values_are_shown_in_the_users_language():
    grok = next(m for m in load_catalog().models if m.id == "grok-imagine/text-to-video")
    mode = next(f for f in grok.fields if f.name == "mode")
    assert [option_text("ru", mode, v) for v in ("fun", "normal")] == ["Весёлый", "Обычный"]
    assert [option_text("en", mode, v) for v in ("fun", "normal")] == ["Fun", "Normal"]
    ratio = next(f for f in grok.fields if f.name == "aspect_ratio")
    assert option_text("ru", ratio, "16:9") == "16:9"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_our_plural_rules_are_cldrs_as_babel_has_them(lang):
    from babel.core import Locale

    assert PLURAL_RULES[lang] == Locale.parse(lang).plural_form.rules
