"""What every storage aggregate shares: the collection names, the transaction settings, the client.

Documents are described in docs/firestore.md. Every balance change writes a ledger entry, keyed by its
idempotency key, in the same transaction as the balance update (shared/storage/ledger.py), so a retried
call finds the entry and changes nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared.domain.jobs import Job

USERS, LEDGER, JOBS, EVENTS = "users", "ledger", "jobs", "generation_events"
UPDATES, FREE_USAGE, SETTINGS, INVOICES = "processed_updates", "free_usage", "settings", "invoices"
PAYMENTS, ACTIONS, BROADCASTS, SMOKE_RUNS = "payments", "admin_actions", "broadcasts", "smoke_runs"
TX_ATTEMPTS = 10


class Aggregate:
    """The documents of one aggregate, on the shared client."""

    def __init__(self, client: firestore.AsyncClient):
        self.db = client

    def ref(self, collection: str, doc_id: object) -> Any:
        return self.db.collection(collection).document(str(doc_id))

    def transaction(self) -> Any:
        return self.db.transaction(max_attempts=TX_ATTEMPTS)


def eq(field: str, value: Any) -> firestore.FieldFilter:
    return firestore.FieldFilter(field, "==", value)


def job_of(snapshot: Any) -> Job:
    return Job(id=snapshot.id, **snapshot.to_dict())


async def first(query: Any) -> Any:
    """The first snapshot a query returns, or None."""
    async for snap in query.limit(1).stream():
        return snap
    return None


async def page(db: Any, collection: str, user_id: int, size: int, before: datetime | None = None,
               after: datetime | None = None, states: list[str] | None = None) -> list[dict[str, Any]]:
    """A user's documents newest first, `size` at most, older than `before` or newer than `after` (cursor
    paging: a page costs `size` reads however deep it is)."""
    query = db.collection(collection).where(filter=eq("user_id", user_id))
    if states:
        query = query.where(filter=firestore.FieldFilter("state", "in", states))
    if after is not None:
        query = query.order_by("created_at").start_after({"created_at": after}).limit(size)
        rows = [{"id": snap.id, **snap.to_dict()} async for snap in query.stream()]
        return list(reversed(rows))
    query = query.order_by("created_at", direction=firestore.Query.DESCENDING)
    if before is not None:
        query = query.start_after({"created_at": before})
    return [{"id": snap.id, **snap.to_dict()} async for snap in query.limit(size).stream()]


async def count(db: Any, collection: str, user_id: int | None = None, states: list[str] | None = None) -> int:
    """How many documents (of one user; in these states): one aggregation query."""
    query = db.collection(collection)
    if user_id is not None:
        query = query.where(filter=eq("user_id", user_id))
    if states:
        query = query.where(filter=firestore.FieldFilter("state", "in", states))
    result = await query.count().get()
    return int(result[0][0].value)
