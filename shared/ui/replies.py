"""Short replies any handler may give, and the bot's command list."""
from __future__ import annotations

from shared.domain.pricing import format_rub
from shared.domain.screen import Screen
from shared.ui.texts import t

COMMANDS = ("start", "balance", "history", "ref", "help", "paysupport", "terms")  # in Telegram's command menu


def say(lang: str, key: str, **values: object) -> Screen:
    """One text, no buttons."""
    return Screen(t(lang, key, **values))


def welcome_bonus(lang: str, kopecks: int) -> Screen:
    return Screen(t(lang, "bonus_granted", amount=format_rub(kopecks, lang)))


def referral_welcome(lang: str, kopecks: int) -> Screen:
    return Screen(t(lang, "referral_welcome", amount=format_rub(kopecks, lang)))


def error(lang: str, request_id: str) -> Screen:
    return Screen(t(lang, "error_generic", rq=request_id))


def commands(lang: str) -> list[tuple[str, str]]:
    """(command, description) for Telegram's menu."""
    return [(name, t(lang, f"cmd_{name}")) for name in COMMANDS]
