"""A user arriving with an update: loaded, or created at the first contact with their bonuses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.money import referrer_from_payload
from shared.domain.pricing import rub_to_kopecks
from shared.domain.users import Profile, User

if TYPE_CHECKING:
    from shared.bootstrap import Container


@dataclass(frozen=True)
class Arrival:
    user: User
    created: bool
    start_bonus: int = 0  # kopecks granted at this first contact, to tell them
    welcome_bonus: int = 0  # for an invited user


async def arrive(c: "Container", profile: Profile, start_payload: str | None) -> Arrival:
    """The user of an update (1 read; created with the start bonus and, when invited by `/start ref_<code>`,
    the welcome bonus)."""
    s = c.settings
    start, welcome = rub_to_kopecks(s.start_bonus_rub), rub_to_kopecks(s.referral_welcome_rub)
    user, created = await c.store.users.touch(profile, start, referrer_from_payload(start_payload), welcome)
    if not created:
        return Arrival(user, False)
    return Arrival(user, True, start if start > 0 else 0, welcome if user.referrer_id and welcome > 0 else 0)


async def choose_language(c: "Container", user: User, lang: str) -> None:
    """The user's own choice of language (1 write): kept over Telegram's language_code from now on."""
    await c.store.users.set_fields(user.user_id, language=lang, language_chosen=True)
    user.language = lang
