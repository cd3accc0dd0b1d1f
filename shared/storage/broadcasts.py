"""Firestore for admin broadcasts: the only code that reads or writes `broadcasts/{id}` (and the
`blocked_bot` flag on users).

`broadcasts/{id}`
| field | meaning |
|---|---|
| `admin_id`, `admin_chat_id`, `lang` | who started it, where the progress message lives, its language |
| `text` | the message, HTML |
| `status` | `queued` → `running` → `done`, or `cancelled` (by `/cancel`, at any time before `done`) |
| `cursor_user_id` | the last user handled; users are processed in `user_id` order, the next batch starts after it |
| `sent`, `failed`, `blocked`, `skipped` | delivered; other errors; `Forbidden` (blocked the bot, deactivated); banned users not sent to |
| `total` | users when it started (a count aggregate); users who join later with a higher id get it too |
| `rate` | messages per second it is paced at (BROADCAST_RATE when it started) |
| `batch_no` | the batch allowed to run: a task for an older batch is a stale duplicate and does nothing |
| `lease_owner`, `lease_until` | the batch sending right now; another delivery waits until the lease passes |
| `progress_message_id` | the admin's "📣 Рассылка: …" message, edited as it goes |
| `created_at`, `started_at`, `updated_at`, `finished_at` | times |

`users/{id}.blocked_bot` is set when a send is refused with `Forbidden` and cleared when a later send
goes through; it is written in the same transaction as the progress that counted it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.domain.broadcast import Commit, Lease
from shared.domain.clock import utcnow
from shared.storage.base import BROADCASTS, USERS, Aggregate

ACTIVE = ("queued", "running")
USER_FIELDS = ["user_id", "chat_id", "banned", "blocked_bot"]


class Broadcasts(Aggregate):
    async def create(self, broadcast_id: str, *, admin_id: int, admin_chat_id: int, lang: str, text: str,
                     total: int, rate: float, progress_message_id: int | None) -> None:
        now = utcnow()
        try:
            await self.ref(BROADCASTS, broadcast_id).create({
                "admin_id": admin_id, "admin_chat_id": admin_chat_id, "lang": lang, "text": text,
                "status": "queued", "cursor_user_id": None, "sent": 0, "failed": 0, "blocked": 0, "skipped": 0,
                "total": total, "rate": rate, "batch_no": 1, "lease_owner": None, "lease_until": None,
                "progress_message_id": progress_message_id, "created_at": now, "started_at": None,
                "updated_at": now, "finished_at": None})
        except AlreadyExists:  # the id is new and random: this is our own create, retried after a lost answer
            pass

    async def get(self, broadcast_id: str) -> dict[str, Any] | None:
        snap = await self.ref(BROADCASTS, broadcast_id).get()
        return snap.to_dict() if snap.exists else None

    async def take_lease(self, broadcast_id: str, batch_no: int, owner: str,
                         lease: timedelta) -> tuple[Lease, dict[str, Any] | None]:
        """Let batch `batch_no` run: TAKEN | BUSY (another holds a live lease) | STALE (a newer batch took
        over) | FINISHED (done or cancelled) | MISSING (no document)."""
        ref = self.ref(BROADCASTS, broadcast_id)

        @firestore.async_transactional
        async def run(tx: Any) -> tuple[Lease, dict[str, Any] | None]:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return Lease.MISSING, None
            doc, now = snap.to_dict(), utcnow()
            if doc["status"] not in ACTIVE:
                return Lease.FINISHED, doc
            if batch_no < doc["batch_no"]:
                return Lease.STALE, doc
            if doc.get("lease_until") and doc["lease_until"] > now:
                return Lease.BUSY, doc
            changes = {"status": "running", "batch_no": batch_no, "lease_owner": owner, "lease_until": now + lease,
                       "updated_at": now, "started_at": doc.get("started_at") or now}
            tx.update(ref, changes)
            return Lease.TAKEN, {**doc, **changes}

        return await run(self.transaction())

    async def commit(self, broadcast_id: str, owner: str, changes: dict[str, Any], lease: timedelta | None,
                     user_flags: dict[int, bool] | None = None) -> Commit:
        """Write a batch's progress (and the users' `blocked_bot` flags) if `owner` still holds the lease.
        `lease` renews it; None releases it. OK | CANCELLED (progress written, status kept, lease released) |
        LOST (another batch took over: nothing written)."""
        ref = self.ref(BROADCASTS, broadcast_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Commit:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("lease_owner") != owner:
                return Commit.LOST
            now = utcnow()
            cancelled = snap.get("status") == "cancelled"
            keep = {k: v for k, v in changes.items() if not (cancelled and k in ("status", "finished_at"))}
            release = lease is None or cancelled
            tx.update(ref, {**keep, "updated_at": now, "lease_until": None if release else now + lease,
                            "lease_owner": None if release else owner})
            for user_id, blocked in (user_flags or {}).items():
                tx.update(self.ref(USERS, user_id), {"blocked_bot": blocked})
            return Commit.CANCELLED if cancelled else Commit.OK

        return await run(self.transaction())

    async def cancel(self, broadcast_id: str) -> dict[str, Any] | None:
        """queued/running -> cancelled; the doc as it was, or None when it already ended (or is unknown)."""
        ref = self.ref(BROADCASTS, broadcast_id)

        @firestore.async_transactional
        async def run(tx: Any) -> dict[str, Any] | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("status") not in ACTIVE:
                return None
            now = utcnow()
            tx.update(ref, {"status": "cancelled", "finished_at": now, "updated_at": now})
            return snap.to_dict()

        return await run(self.transaction())

    async def users_after(self, after_user_id: int | None, limit: int) -> list[dict[str, Any]]:
        """The next `limit` users by `user_id` (a page costs `limit` reads however far along it is)."""
        query = self.db.collection(USERS).select(USER_FIELDS).order_by("user_id")
        if after_user_id is not None:
            query = query.start_after({"user_id": after_user_id})
        return [snap.to_dict() async for snap in query.limit(limit).stream()]

    async def active(self, limit: int = 20) -> list[tuple[str, dict[str, Any]]]:
        """Broadcasts not finished yet (queued or running): few at any time (the sweep resumes stale ones)."""
        query = self.db.collection(BROADCASTS).where(filter=firestore.FieldFilter("status", "in", list(ACTIVE)))
        return [(snap.id, snap.to_dict()) async for snap in query.limit(limit).stream()]
