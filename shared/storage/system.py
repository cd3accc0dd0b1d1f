"""Documents the system keeps about itself: processed update ids, the stored free tier, small settings
(the bot commands' digest, the credit alert), and housekeeping of what expires."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.storage.base import JOBS, SETTINGS, UPDATES, Aggregate, eq

UPDATE_TTL = timedelta(days=2)  # Telegram keeps undelivered updates for 24 h
BATCH = 400  # writes per batch (Firestore allows 500)


class System(Aggregate):
    async def claim_update(self, update_id: int, owner: str | None = None) -> bool:
        """True the first time an update id is seen; False for a redelivery (1 write; 1 more read on a conflict).
        The claim carries an owner token: when its write applied but the answer was lost, the client library
        retries `create` and gets AlreadyExists; finding our own token then means the claim is ours."""
        owner = owner or secrets.token_hex(8)
        now = utcnow()
        ref = self.ref(UPDATES, update_id)
        try:
            await ref.create({"update_id": update_id, "owner": owner, "processed_at": now,
                              "expire_at": now + UPDATE_TTL})
        except AlreadyExists:
            snap = await ref.get()
            return (snap.to_dict() or {}).get("owner") == owner
        return True

    async def get_setting(self, name: str) -> dict[str, Any] | None:
        snap = await self.ref(SETTINGS, name).get()
        return snap.to_dict() if snap.exists else None

    async def set_setting(self, name: str, doc: dict[str, Any]) -> None:
        await self.ref(SETTINGS, name).set({**doc, "updated_at": utcnow()})

    async def stored_free_tier(self) -> dict[str, Any] | None:
        return await self.get_setting("free_tier")

    async def save_free_tier(self, model_ids: list[str], source: str, prices: dict[str, int]) -> dict[str, Any]:
        """Write the tier with the time and the previous value; a no-op when it did not change."""
        ref = self.ref(SETTINGS, "free_tier")

        @firestore.async_transactional
        async def save(tx: Any) -> dict[str, Any]:
            snap = await ref.get(transaction=tx)
            old = snap.to_dict() if snap.exists else {}
            if old.get("model_ids") == model_ids and old.get("source") == source:
                return old
            doc = {"model_ids": model_ids, "source": source, "computed_at": utcnow(),
                   "previous_model_ids": old.get("model_ids", []),
                   "prices_kopecks": {m: prices[m] for m in model_ids if m in prices}}
            tx.set(ref, doc)
            return doc

        return await save(self.transaction())

    # --- housekeeping ------------------------------------------------------------------------------------
    async def delete_expired(self, collection: str, now: datetime, limit: int = 500) -> int:
        """What Firestore's TTL policy does in production (the emulator has no TTL): delete expired documents."""
        query = self.db.collection(collection).where(filter=firestore.FieldFilter("expire_at", "<", now)).limit(limit)
        refs = [snap.reference async for snap in query.stream()]
        await self._in_batches(refs, lambda batch, ref: batch.delete(ref))
        return len(refs)

    async def adopt_legacy_jobs(self, limit: int = 500) -> int:
        """Jobs written before `unsettled` existed and still open (confirmed, running; succeeded but not
        delivered) get `unsettled: true`, so the sweep takes them over. A handful per day after an upgrade;
        nothing once they are gone (indexes jobs: state, updated_at and state, delivered_at, updated_at)."""
        now = utcnow()
        jobs = self.db.collection(JOBS)
        queries = [
            jobs.where(filter=firestore.FieldFilter("state", "in", ["confirmed", "running"]))
            .where(filter=firestore.FieldFilter("updated_at", "<", now)).order_by("updated_at"),
            jobs.where(filter=eq("state", "succeeded")).where(filter=eq("delivered_at", None))
            .where(filter=firestore.FieldFilter("updated_at", "<", now)).order_by("updated_at"),
        ]
        refs = []
        for query in queries:
            async for snap in query.select(["unsettled"]).limit(limit).stream():
                if "unsettled" not in (snap.to_dict() or {}):
                    refs.append(snap.reference)
        await self._in_batches(refs, lambda batch, ref: batch.update(ref, {"unsettled": True}))
        return len(refs)

    async def _in_batches(self, refs: list[Any], write: Any) -> None:
        for start in range(0, len(refs), BATCH):
            batch = self.db.batch()
            for ref in refs[start:start + BATCH]:
                write(batch, ref)
            await batch.commit()
