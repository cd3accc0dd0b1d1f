"""The language switch: Russian or English for every message the bot sends this user."""
from __future__ import annotations

from shared.domain.screen import Screen
from shared.ui import callbacks as cb
from shared.ui.texts import t

LANGUAGES = ("ru", "en")


def language_screen(lang: str) -> Screen:
    return Screen(t(lang, "language_ask"), [
        [(t(lang, "btn_lang_ru"), cb.make(cb.LANGUAGE, "ru")), (t(lang, "btn_lang_en"), cb.make(cb.LANGUAGE, "en"))],
        [(t(lang, "btn_menu"), cb.HOME)],
    ])
