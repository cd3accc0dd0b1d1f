"""A user as the bot knows them: the profile Telegram sends, and the stored user document."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Profile:
    """Who sent an update, as Telegram describes them."""

    user_id: int
    chat_id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


@dataclass
class User:
    user_id: int
    language: str = "ru"
    balance_kopecks: int = 0
    banned: bool = False
    awaiting: str | None = None  # what a typed message answers (see shared/telegram/routes.py AWAITING)
    username: str | None = None
    first_name: str | None = None
    referrer_id: int | None = None
    referrals_count: int = 0
    referral_income_kopecks: int = 0
    created_at: datetime | None = None
    last_search: str | None = None  # the last search typed: its results are paged by it
    last_text: str | None = None  # the last free text typed with no order: a prompt offered to models
    last_file: dict[str, Any] | None = None  # the last file sent with no order (IncomingFile), offered to models
    last_album: str | None = None  # the media group of the last album sent with no order: answered once

    @classmethod
    def from_doc(cls, data: dict[str, Any]) -> "User":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


PARKED = "parked"  # User.awaiting: an open draft set aside by a command; typed text is not its answer


def lang_of(code: str | None) -> str:
    """Our language for a Telegram language code: English for English, Russian for everything else."""
    return "en" if (code or "").lower().startswith("en") else "ru"
