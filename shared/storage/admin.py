"""Firestore queries for operating the business: runtime switches, the admin action log, error lists,
lookups, statistics inputs, the reconciliation sweep and housekeeping."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.jobs import Job
from shared.storage.firestore import EVENTS, JOBS, LEDGER, SETTINGS, USERS, FirestoreStore, User, _job

ACTIONS = "admin_actions"
RUNTIME = "runtime"  # settings/runtime: maintenance flag and disabled models
FilterValue = Any


def _eq(field: str, value: FilterValue) -> firestore.FieldFilter:
    return firestore.FieldFilter(field, "==", value)


async def runtime_settings(store: FirestoreStore) -> dict[str, Any]:
    snap = await store.db.collection(SETTINGS).document(RUNTIME).get()
    data = snap.to_dict() if snap.exists else {}
    return {"maintenance": bool(data.get("maintenance")), "disabled_models": list(data.get("disabled_models", []))}


async def change_runtime(store: FirestoreStore, admin_id: int, action: str, change: dict[str, Any]) -> dict[str, Any]:
    """Apply a runtime switch and write the admin action log entry (old and new value) in one transaction."""
    ref = store.db.collection(SETTINGS).document(RUNTIME)
    log_ref = store.db.collection(ACTIONS).document()

    @firestore.async_transactional
    async def run(tx: Any) -> dict[str, Any]:
        snap = await ref.get(transaction=tx)
        old = snap.to_dict() if snap.exists else {}
        new = {**old, **change, "updated_at": utcnow()}
        tx.set(ref, new)
        tx.set(log_ref, {"admin_id": admin_id, "action": action, "target": RUNTIME,
                         "old": {k: old.get(k) for k in change}, "new": change, "at": utcnow()})
        return new

    return await run(store.db.transaction(max_attempts=10))


async def log_action(store: FirestoreStore, admin_id: int, action: str, target: str, old: Any, new: Any) -> None:
    await store.db.collection(ACTIONS).add({"admin_id": admin_id, "action": action, "target": target,
                                            "old": old, "new": new, "at": utcnow()})


async def recent_actions(store: FirestoreStore, limit: int = 20) -> list[dict[str, Any]]:
    query = store.db.collection(ACTIONS).order_by("at", direction=firestore.Query.DESCENDING).limit(limit)
    return [snap.to_dict() async for snap in query.stream()]


async def failures(store: FirestoreStore, start: datetime | None, end: datetime | None,
                   limit: int = 5000) -> list[dict[str, Any]]:
    """Failed and timed-out generation events, newest first (user/model filters are applied by the caller)."""
    query = store.db.collection(EVENTS).where(filter=firestore.FieldFilter("status", "in", ["failed", "timeout"]))
    if start:
        query = query.where(filter=firestore.FieldFilter("created_at", ">=", start))
    if end:
        query = query.where(filter=firestore.FieldFilter("created_at", "<", end))
    query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
    return [snap.to_dict() async for snap in query.stream()]


async def job_by_request_id(store: FirestoreStore, request_id: str) -> Job | None:
    async for snap in store.db.collection(JOBS).where(filter=_eq("request_id", request_id)).limit(1).stream():
        return _job(snap)
    return None


async def events_of_job(store: FirestoreStore, job_id: str) -> list[dict[str, Any]]:
    rows = [snap.to_dict() async for snap in store.db.collection(EVENTS).where(filter=_eq("job_id", job_id)).stream()]
    return sorted(rows, key=lambda e: e["created_at"])


async def ledger_of_ref(store: FirestoreStore, ref: str) -> list[dict[str, Any]]:
    rows = [snap.to_dict() async for snap in store.db.collection(LEDGER).where(filter=_eq("ref", ref)).stream()]
    return sorted(rows, key=lambda e: e["created_at"])


async def user_by_username(store: FirestoreStore, username: str) -> User | None:
    async for snap in store.db.collection(USERS).where(filter=_eq("username", username)).limit(1).stream():
        return User.from_doc(snap.to_dict())
    return None


async def set_banned(store: FirestoreStore, admin_id: int, user_id: int, banned: bool) -> bool | None:
    """Ban or unban; logs old/new. None if the user does not exist."""
    ref = store.db.collection(USERS).document(str(user_id))
    snap = await ref.get()
    if not snap.exists:
        return None
    old = bool(snap.get("banned"))
    await ref.update({"banned": banned})
    await log_action(store, admin_id, "ban" if banned else "unban", f"user:{user_id}", old, banned)
    return old


async def in_period(store: FirestoreStore, collection: str, field: str, start: datetime, end: datetime,
                    limit: int = 20000) -> list[dict[str, Any]]:
    query = (store.db.collection(collection).where(filter=firestore.FieldFilter(field, ">=", start))
             .where(filter=firestore.FieldFilter(field, "<", end)).limit(limit))
    return [snap.to_dict() async for snap in query.stream()]


async def events_since(store: FirestoreStore, start: datetime, limit: int = 20000) -> list[dict[str, Any]]:
    return await in_period(store, EVENTS, "created_at", start, utcnow(), limit)


async def unsettled_jobs(store: FirestoreStore, updated_before: datetime,
                         limit: int = 200) -> tuple[list[Job], list[tuple[str, str]]]:
    """The sweep's input: jobs that still need something (`unsettled`) and have not moved since
    `updated_before`, oldest first (index jobs: unsettled, updated_at). Settled jobs never come back here,
    so old ones cannot crowd out fresh ones; the sweep moves `updated_at` of a job it could not settle yet.
    A document that does not parse is returned apart, as (id, error), so it cannot stop the run."""
    query = (store.db.collection(JOBS)
             .where(filter=_eq("unsettled", True))
             .where(filter=firestore.FieldFilter("updated_at", "<", updated_before))
             .order_by("updated_at").limit(limit))
    jobs, bad = [], []
    async for snap in query.stream():
        try:
            jobs.append(_job(snap))
        except Exception as err:  # pydantic's ValidationError, a TypeError from a field of another shape
            bad.append((snap.id, f"{type(err).__name__}: {err}"[:300]))
    return jobs, bad


async def flag_job(store: FirestoreStore, job_id: str, review: str, note: str) -> None:
    """Take a job out of the sweep and leave it to admins (`review`, readable in the console)."""
    await store.db.collection(JOBS).document(job_id).update(
        {"unsettled": False, "review": review, "review_note": note, "updated_at": utcnow()})


async def adopt_legacy_jobs(store: FirestoreStore, limit: int = 500) -> int:
    """Jobs written before `unsettled` existed and still open (confirmed, queued, running; succeeded but not
    delivered) get `unsettled: true`, so the sweep takes them over. A handful per day after an upgrade;
    nothing once they are gone (indexes jobs: state, updated_at and state, delivered_at, updated_at)."""
    now = utcnow()
    queries = [
        store.db.collection(JOBS).where(filter=firestore.FieldFilter("state", "in", ["confirmed", "queued", "running"]))
        .where(filter=firestore.FieldFilter("updated_at", "<", now)).order_by("updated_at"),
        store.db.collection(JOBS).where(filter=_eq("state", "succeeded")).where(filter=_eq("delivered_at", None))
        .where(filter=firestore.FieldFilter("updated_at", "<", now)).order_by("updated_at"),
    ]
    refs = []
    for query in queries:
        async for snap in query.select(["unsettled"]).limit(limit).stream():
            if "unsettled" not in (snap.to_dict() or {}):
                refs.append(snap.reference)
    for start in range(0, len(refs), 400):
        batch = store.db.batch()
        for ref in refs[start:start + 400]:
            batch.update(ref, {"unsettled": True})
        await batch.commit()
    return len(refs)


async def claim_alert(store: FirestoreStore, name: str, every: timedelta) -> bool:
    """True for the caller that may send alert `name` now (none was sent within `every`); it records the time."""
    ref = store.db.collection(SETTINGS).document(f"alert_{name}")

    @firestore.async_transactional
    async def run(tx: Any) -> bool:
        snap = await ref.get(transaction=tx)
        now = utcnow()
        last = (snap.to_dict() or {}).get("sent_at") if snap.exists else None
        if last is not None and now - last < every:
            return False
        tx.set(ref, {"sent_at": now})
        return True

    return await run(store.db.transaction(max_attempts=10))


async def delete_expired(store: FirestoreStore, collection: str, now: datetime, limit: int = 500) -> int:
    """What Firestore's TTL policy does in production (the emulator has no TTL): delete expired documents."""
    query = store.db.collection(collection).where(filter=firestore.FieldFilter("expire_at", "<", now)).limit(limit)
    refs = [snap.reference async for snap in query.stream()]
    for start in range(0, len(refs), 400):
        batch = store.db.batch()
        for ref in refs[start:start + 400]:
            batch.delete(ref)
        await batch.commit()
    return len(refs)


async def admin_ids_with_chats(store: FirestoreStore, admin_ids: list[int]) -> list[int]:
    """Admins who have talked to the bot (a private chat id equals the user id)."""
    found = []
    for admin_id in admin_ids:
        snap = await store.db.collection(USERS).document(str(admin_id)).get()
        if snap.exists:
            found.append(admin_id)
    return found
