"""Documents for operating the business: runtime switches, the admin action log, error lists and lookups,
statistics inputs, alert claims, smoke runs, and each admin's pending filter and broadcast draft."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.jobs import Job
from shared.storage.catalog_sync import delisted_of
from shared.storage.base import ACTIONS, EVENTS, LEDGER, SETTINGS, SMOKE_RUNS, USERS, Aggregate, eq

RUNTIME = "runtime"  # settings/runtime: maintenance flag and disabled models


class Admin(Aggregate):
    # --- runtime switches and the action log -----------------------------------------------------------
    async def runtime(self) -> dict[str, Any]:
        snap = await self.ref(SETTINGS, RUNTIME).get()
        data = snap.to_dict() if snap.exists else {}
        return {"maintenance": bool(data.get("maintenance")), "disabled_models": list(data.get("disabled_models", [])),
                "delisted_models": delisted_of(data)}

    async def change_runtime(self, admin_id: int, action: str,
                             change: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any] | None],
                             reason: str | None = None) -> dict[str, Any] | None:
        """Apply a runtime switch and write the admin action log entry (old and new value, the admin's reason)
        in one transaction. `change`: the fields to set, or a function of the stored switches that returns
        them (None when there is nothing to change: nothing is written and None returned)."""
        ref = self.ref(SETTINGS, RUNTIME)
        log_ref = self.db.collection(ACTIONS).document()

        @firestore.async_transactional
        async def run(tx: Any) -> dict[str, Any]:
            snap = await ref.get(transaction=tx)
            old = snap.to_dict() if snap.exists else {}
            fields = change(old) if callable(change) else change
            if fields is None:
                return None
            new = {**old, **fields, "updated_at": utcnow()}
            tx.set(ref, new)
            tx.set(log_ref, {"admin_id": admin_id, "action": action, "target": RUNTIME,
                             "old": {k: old.get(k) for k in fields}, "new": fields, "reason": reason,
                             "at": utcnow()})
            return new

        return await run(self.transaction())

    async def log_action(self, admin_id: int, action: str, target: str, old: Any, new: Any,
                         reason: str | None = None) -> None:
        await self.db.collection(ACTIONS).add({"admin_id": admin_id, "action": action, "target": target,
                                               "old": old, "new": new, "reason": reason, "at": utcnow()})

    async def recent_actions(self, limit: int = 20) -> list[dict[str, Any]]:
        query = self.db.collection(ACTIONS).order_by("at", direction=firestore.Query.DESCENDING).limit(limit)
        return [snap.to_dict() async for snap in query.stream()]

    async def set_banned(self, admin_id: int, user_id: int, banned: bool, reason: str | None = None) -> bool | None:
        """Ban or unban with its log entry (old/new and the reason) in one transaction. True when it changed
        the user; False when they already were so (nothing written); None if the user does not exist."""
        ref, log_ref = self.ref(USERS, user_id), self.db.collection(ACTIONS).document()

        @firestore.async_transactional
        async def run(tx: Any) -> bool | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return None
            old = bool(snap.get("banned"))
            if old == banned:
                return False
            tx.update(ref, {"banned": banned})
            tx.set(log_ref, {"admin_id": admin_id, "action": "ban" if banned else "unban", "target": f"user:{user_id}",
                             "old": old, "new": banned, "reason": reason, "at": utcnow()})
            return True

        return await run(self.transaction())

    # --- what admins read ----------------------------------------------------------------------------
    async def failures(self, start: datetime | None, end: datetime | None, limit: int = 5000) -> list[dict[str, Any]]:
        """Failed and timed-out generation events, newest first (user/model filters are applied by the caller)."""
        query = self.db.collection(EVENTS).where(filter=firestore.FieldFilter("status", "in", ["failed", "timeout"]))
        if start:
            query = query.where(filter=firestore.FieldFilter("created_at", ">=", start))
        if end:
            query = query.where(filter=firestore.FieldFilter("created_at", "<", end))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
        return [snap.to_dict() async for snap in query.stream()]

    async def ledger_of_ref(self, ref: str) -> list[dict[str, Any]]:
        query = self.db.collection(LEDGER).where(filter=eq("ref", ref))
        return sorted([snap.to_dict() async for snap in query.stream()], key=lambda e: e["created_at"])

    async def in_period(self, collection: str, field: str, start: datetime, end: datetime,
                        limit: int = 20000) -> list[dict[str, Any]]:
        query = (self.db.collection(collection).where(filter=firestore.FieldFilter(field, ">=", start))
                 .where(filter=firestore.FieldFilter(field, "<", end)).limit(limit))
        return [snap.to_dict() async for snap in query.stream()]

    async def period(self, start: datetime, end: datetime) -> dict[str, list[dict[str, Any]]]:
        """What the statistics of `[start, end)` are computed from: users seen or created, generation events,
        ledger entries."""
        return {"seen": await self.in_period(USERS, "last_seen_at", start, end),
                "created": await self.in_period(USERS, "created_at", start, end),
                "events": await self.in_period(EVENTS, "created_at", start, end),
                "ledger": await self.in_period(LEDGER, "created_at", start, end)}

    async def events_since(self, start: datetime, limit: int = 20000) -> list[dict[str, Any]]:
        return await self.in_period(EVENTS, "created_at", start, utcnow(), limit)

    # --- alerts ----------------------------------------------------------------------------------------
    async def claim_alert(self, name: str, every: timedelta) -> bool:
        """True for the caller that may send alert `name` now (none was sent within `every`); it records the time."""
        ref = self.ref(SETTINGS, f"alert_{name}")

        @firestore.async_transactional
        async def run(tx: Any) -> bool:
            snap = await ref.get(transaction=tx)
            now = utcnow()
            last = (snap.to_dict() or {}).get("sent_at") if snap.exists else None
            if last is not None and now - last < every:
                return False
            tx.set(ref, {"sent_at": now})
            return True

        return await run(self.transaction())

    # --- each admin's pending input ----------------------------------------------------------------------
    async def draft(self, kind: str, admin_id: int) -> dict[str, Any]:
        """An admin's error filter (`filter`) or broadcast text (`broadcast`) while they work on it."""
        snap = await self.ref(SETTINGS, f"admin_{kind}_{admin_id}").get()
        return (snap.to_dict() if snap.exists else None) or {}

    async def save_draft(self, kind: str, admin_id: int, doc: dict[str, Any]) -> None:
        await self.ref(SETTINGS, f"admin_{kind}_{admin_id}").set({**doc, "updated_at": utcnow()})

    async def take_draft(self, kind: str, admin_id: int, draft_id: str) -> dict[str, Any] | None:
        """The draft, once, if its `id` is `draft_id` (deleted in the same transaction): a confirmation button
        pressed twice, or one of an older draft, gets None."""
        ref = self.ref(SETTINGS, f"admin_{kind}_{admin_id}")

        @firestore.async_transactional
        async def run(tx: Any) -> dict[str, Any] | None:
            snap = await ref.get(transaction=tx)
            doc = snap.to_dict() if snap.exists else None
            if not doc or doc.get("id") != draft_id:
                return None
            tx.delete(ref)
            return doc

        return await run(self.transaction())

    # --- smoke runs ------------------------------------------------------------------------------------
    async def create_smoke_run(self, run_id: str, admin_id: int, chat_id: int, model_ids: list[str]) -> None:
        await self.ref(SMOKE_RUNS, run_id).set({"admin_id": admin_id, "chat_id": chat_id, "models": model_ids,
                                                "results": {}, "created_at": utcnow()})

    async def record_smoke(self, job: Job, ok: bool, seconds: float | None) -> dict[str, Any] | None:
        """Record one smoke result once; the run with every result when this call recorded the last one."""
        ref = self.ref(SMOKE_RUNS, job.smoke_run)

        @firestore.async_transactional
        async def record(tx: Any) -> dict[str, Any] | None:
            run = (await ref.get(transaction=tx)).to_dict()
            results = dict(run.get("results", {}))
            if job.id in results:
                return None
            results[job.id] = {"model_id": job.model_id, "ok": ok, "seconds": seconds, "rq": job.request_id,
                               "error": job.error_code}
            tx.update(ref, {"results": results})
            return {**run, "results": results} if len(results) == len(run["models"]) else None

        return await record(self.transaction())
