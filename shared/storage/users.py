"""Users and their ledger: `users/{id}`, `ledger/{key}`, `free_usage/{user}_{day}`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared.domain.clock import moscow_day, utcnow
from shared.domain.money import Status, adjustment, first_contact
from shared.domain.users import Profile, User, lang_of
from shared.storage.base import FREE_USAGE, LEDGER, USERS, Aggregate, count, eq, first, page
from shared.storage.ledger import apply_entries

LAST_SEEN_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Adjusted:
    """Outcome of a manual balance adjustment."""

    status: Status  # applied | repeat | negative | missing
    balance_before: int = 0
    balance_after: int = 0


class Users(Aggregate):
    async def get(self, user_id: int) -> User | None:
        snap = await self.ref(USERS, user_id).get()
        return User.from_doc(snap.to_dict()) if snap.exists else None

    async def touch(self, profile: Profile, bonus_kopecks: int, referrer_id: int | None = None,
                    welcome_kopecks: int = 0) -> tuple[User, bool]:
        """Read the user (1 read); create on first contact with the start bonus (and, when invited, the
        welcome bonus); refresh last_seen rarely."""
        ref = self.ref(USERS, profile.user_id)
        snap = await ref.get()
        now = utcnow()
        if not snap.exists:
            return await self._create(profile, bonus_kopecks, referrer_id, welcome_kopecks), True
        data = snap.to_dict()
        changes: dict[str, Any] = {}
        language = data.get("language", "ru")
        if profile.language_code and not data.get("language_chosen"):  # a choice in the bot's menu wins
            language = lang_of(profile.language_code)
        if language != data.get("language"):
            changes["language"] = language
        for key in ("username", "first_name"):
            if getattr(profile, key) != data.get(key):
                changes[key] = getattr(profile, key)
        last_seen = data.get("last_seen_at")
        if changes or last_seen is None or now - last_seen > LAST_SEEN_EVERY:
            changes["last_seen_at"] = now
            await ref.update(changes)
            data.update(changes)
        return User.from_doc(data), False

    async def _create(self, profile: Profile, bonus_kopecks: int, referrer_id: int | None,
                      welcome_kopecks: int) -> User:
        ref = self.ref(USERS, profile.user_id)
        if referrer_id == profile.user_id:
            referrer_id = None  # nobody invites themselves (and nothing to read)
        inviter_ref = self.ref(USERS, referrer_id) if referrer_id else None

        @firestore.async_transactional
        async def create(tx: Any) -> dict[str, Any]:
            snap = await ref.get(transaction=tx)
            inviter = await inviter_ref.get(transaction=tx) if inviter_ref else None
            if snap.exists:
                return snap.to_dict()  # attribution happens only at the very first contact
            now = utcnow()
            inviter_id, entries = first_contact(profile.user_id, referrer_id, bool(inviter and inviter.exists),
                                                bonus_kopecks, welcome_kopecks)
            balances = apply_entries(tx, self.db, entries, {profile.user_id: 0}, now, skip_users=(profile.user_id,))
            doc = {
                "user_id": profile.user_id, "chat_id": profile.chat_id, "username": profile.username,
                "first_name": profile.first_name, "language": lang_of(profile.language_code),
                "balance_kopecks": balances[profile.user_id], "banned": False, "awaiting": None,
                "referrer_id": inviter_id, "referrals_count": 0, "referral_income_kopecks": 0,
                "created_at": now, "last_seen_at": now,
            }
            if inviter_id:
                tx.update(inviter_ref, {"referrals_count": firestore.Increment(1)})
            tx.set(ref, doc)
            return doc

        return User.from_doc(await create(self.transaction()))

    async def set_fields(self, user_id: int, **fields: Any) -> None:
        await self.ref(USERS, user_id).update(fields)

    async def by_username(self, username: str) -> User | None:
        snap = await first(self.db.collection(USERS).where(filter=eq("username", username)))
        return User.from_doc(snap.to_dict()) if snap else None

    async def count(self) -> int:
        return await count(self.db, USERS)

    async def with_chats(self, user_ids: list[int]) -> list[User]:
        """Those of these users who have talked to the bot (a private chat id equals the user id)."""
        found = []
        for user_id in user_ids:
            user = await self.get(user_id)
            if user is not None:
                found.append(user)
        return found

    # --- money --------------------------------------------------------------
    async def adjust_balance(self, user_id: int, amount_kopecks: int, kind: str, key: str,
                             ref: str = "", note: str = "") -> bool:
        """Apply one manual ledger entry once; False when the key was already applied (or it was refused)."""
        return (await self.adjust(user_id, amount_kopecks, key, ref=ref, note=note, kind=kind)).status == Status.APPLIED

    async def adjust(self, user_id: int, amount_kopecks: int, key: str, ref: str = "", note: str = "",
                     kind: str = "adjust") -> Adjusted:
        """A manual adjustment, once per key. The balance it checks is read in the same transaction, so a
        charge or another adjustment committing meanwhile cannot take the balance below zero."""
        user_ref, entry_ref = self.ref(USERS, user_id), self.ref(LEDGER, key)

        @firestore.async_transactional
        async def apply(tx: Any) -> Adjusted:
            entry = await entry_ref.get(transaction=tx)
            user = await user_ref.get(transaction=tx)
            if not user.exists:
                return Adjusted(Status.MISSING)
            balance = user.to_dict().get("balance_kopecks", 0)
            if entry.exists:
                return Adjusted(Status.REPEAT, balance, balance)
            decision = adjustment(user_id, balance, amount_kopecks, key, ref=ref, note=note, kind=kind)
            after = apply_entries(tx, self.db, decision.entries, {user_id: balance}, utcnow())
            return Adjusted(decision.status, balance, after[user_id])

        return await apply(self.transaction())

    async def ledger_for(self, user_id: int) -> list[dict[str, Any]]:
        query = self.db.collection(LEDGER).where(filter=eq("user_id", user_id))
        return [snap.to_dict() async for snap in query.stream()]

    async def ledger_page(self, user_id: int, size: int, before: datetime | None = None,
                          after: datetime | None = None) -> list[dict[str, Any]]:
        return await page(self.db, LEDGER, user_id, size, before, after)

    async def ledger_count(self, user_id: int) -> int:
        return await count(self.db, LEDGER, user_id)

    async def free_usage(self, user_id: int, day: str | None = None) -> dict[str, int]:
        """The user's free runs per model on a Moscow day (today by default)."""
        snap = await self.ref(FREE_USAGE, f"{user_id}_{day or moscow_day()}").get()
        return dict((snap.to_dict() or {}).get("counts", {})) if snap.exists else {}
