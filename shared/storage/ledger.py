"""Writing a money decision: its ledger entries and the balances they move, inside the caller's transaction."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared.domain.money import LedgerEntry
from shared.storage.base import LEDGER, USERS


def _ledger_doc(e: LedgerEntry, balance_after: int, now: datetime) -> dict[str, Any]:
    return {"user_id": e.user_id, "kind": e.kind, "amount_kopecks": e.amount_kopecks,
            "balance_after_kopecks": balance_after, "ref": e.ref, "idempotency_key": e.key,
            "request_id": e.request_id, "model_id": e.model_id, "note": e.note, "created_at": now}


def apply_entries(tx: Any, db: Any, entries: tuple[LedgerEntry, ...] | list[LedgerEntry],
                  balances: dict[int, int], now: datetime, skip_users: tuple[int, ...] = ()) -> dict[int, int]:
    """Write a money decision's entries in transaction `tx`: each ledger document (its id is the entry's
    key, with the balance right after it) and each touched user's new balance and referral income.
    `balances` holds the balances this transaction read; the documents of `skip_users` are written by
    the caller (a user created in this transaction). Returns the balances after the entries."""
    balances, income = dict(balances), Counter()
    for e in entries:
        balances[e.user_id] += e.amount_kopecks
        tx.set(db.collection(LEDGER).document(e.key), _ledger_doc(e, balances[e.user_id], now))
        if e.referral_income:
            income[e.user_id] += e.amount_kopecks
    for user_id in dict.fromkeys(e.user_id for e in entries):
        if user_id in skip_users:
            continue
        changes: dict[str, Any] = {"balance_kopecks": balances[user_id]}
        if income[user_id]:
            changes["referral_income_kopecks"] = firestore.Increment(income[user_id])
        tx.update(db.collection(USERS).document(str(user_id)), changes)
    return balances
