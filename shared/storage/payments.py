"""Stars payments in Firestore: the top-up, its refund with a state of its own, the reconciliation cursor.

Documents (docs/firestore.md): `payments/{charge id}`, `invoices/{id}`, `settings/stars_reconciliation`,
and the ledger. Each transaction reads, asks shared/domain/money.py what to do, and writes the entries it
returns; nothing here decides an amount.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.money import Payment, refund_not_done, refund_request, refund_seen, topup, topup_amount
from shared.storage.firestore import INVOICES, LEDGER, SETTINGS, TX_ATTEMPTS, USERS, FirestoreStore, apply_entries

PAYMENTS = "payments"
CURSOR = "stars_reconciliation"  # settings/stars_reconciliation: how far Telegram's record was read


@dataclass(frozen=True)
class PaymentStep:
    """The outcome of one payment transaction."""

    status: str  # credit: credited | repeat; refund: see shared/domain/money.py refund_*
    payment: Payment | None = None
    balances: dict[int, int] = field(default_factory=dict)  # after the step (as read, when nothing was written)
    language: str = "ru"  # the payer's
    note: str = ""  # why a refund was reverted


def as_payment(charge_id: str, doc: dict[str, Any]) -> Payment:
    return Payment(charge_id=charge_id, user_id=doc["user_id"], amount_kopecks=doc["amount_kopecks"],
                   inviter_id=doc.get("inviter_id"), referral_kopecks=doc.get("referral_kopecks") or 0,
                   refund=doc.get("refund"), refund_attempts=doc.get("refund_attempts") or 0)


async def _load(store: FirestoreStore, tx: Any, charge_id: str) -> dict[str, Any] | None:
    """The payment document; for a top-up credited before payments/ existed, one rebuilt from its ledger
    entries (1 read when the document exists, 2 for a new payment, 5 for such an old top-up)."""
    snap = await store.db.collection(PAYMENTS).document(charge_id).get(transaction=tx)
    if snap.exists:
        return snap.to_dict()
    ledger = store.db.collection(LEDGER)
    topup_entry = await ledger.document(f"topup_{charge_id}").get(transaction=tx)
    if not topup_entry.exists:
        return None
    referral, debit, revert = [(await ledger.document(f"{prefix}_{charge_id}").get(transaction=tx)).to_dict()
                               for prefix in ("referral", "payrefund", "payrefund_revert")]
    topup_entry = topup_entry.to_dict()
    refund = ("failed" if revert else "done") if debit else None
    return {"charge_id": charge_id, "user_id": topup_entry["user_id"], "amount_kopecks": topup_entry["amount_kopecks"],
            "stars": None, "invoice_id": None, "inviter_id": referral["user_id"] if referral else None,
            "referral_kopecks": referral["amount_kopecks"] if referral else 0, "status": "credited",
            "source": "ledger", "refund": refund, "refund_attempts": 1 if debit else 0,
            "created_at": topup_entry["created_at"], "updated_at": utcnow()}


async def _balances(store: FirestoreStore, tx: Any, *user_ids: int | None) -> tuple[dict[int, int], dict[int, Any]]:
    """The balances of these users as read in `tx`, and their documents (missing users are left out)."""
    balances, docs = {}, {}
    for user_id in dict.fromkeys(u for u in user_ids if u):
        snap = await store.db.collection(USERS).document(str(user_id)).get(transaction=tx)
        if snap.exists:
            docs[user_id] = snap.to_dict()
            balances[user_id] = docs[user_id].get("balance_kopecks", 0)
    return balances, docs


async def credit_topup(store: FirestoreStore, user_id: int, charge_id: str, invoice_id: str | None, stars: int,
                       stars_per_100_rub: Decimal, referral_percent: Decimal, source: str) -> PaymentStep:
    """Credit a Stars payment once (keyed by Telegram's charge id) with the inviter's share, in one
    transaction, and record it in payments/{charge id}. `source`: update | reconciliation."""
    pay_ref = store.db.collection(PAYMENTS).document(charge_id)
    user_ref = store.db.collection(USERS).document(str(user_id))
    invoice_ref = store.db.collection(INVOICES).document(invoice_id) if invoice_id else None

    @firestore.async_transactional
    async def run(tx: Any) -> PaymentStep:
        doc = await _load(store, tx, charge_id)
        balances, users = await _balances(store, tx, user_id)
        language = users.get(user_id, {}).get("language", "ru")
        if doc is not None:
            if doc.get("source") == "ledger":
                tx.set(pay_ref, doc)  # an old top-up gets its record
            return PaymentStep("repeat", as_payment(charge_id, doc), balances, language)
        invoice = await invoice_ref.get(transaction=tx) if invoice_ref else None
        invoice = invoice.to_dict() if invoice is not None and invoice.exists else None
        referrer = users.get(user_id, {}).get("referrer_id")
        inviter_balances, _ = await _balances(store, tx, referrer)
        inviter_id = referrer if referrer in inviter_balances else None
        amount = topup_amount(invoice, user_id, stars, stars_per_100_rub)
        entries = topup(charge_id, user_id, amount, stars, inviter_id, referral_percent)
        now = utcnow()
        new_user = user_id not in balances
        after = apply_entries(tx, store.db, entries, {user_id: 0, **balances, **inviter_balances}, now,
                              skip_users=(user_id,) if new_user else ())
        if new_user:  # paid without a user document (seen by the reconciliation): the money still stands
            tx.set(user_ref, {"user_id": user_id, "chat_id": user_id, "balance_kopecks": after[user_id],
                              "banned": False, "awaiting": None, "referrer_id": None, "created_at": now})
        if invoice is not None and invoice.get("user_id") == user_id:
            tx.update(invoice_ref, {"status": "paid", "charge_id": charge_id, "paid_at": now})
        share = next((e.amount_kopecks for e in entries if e.kind == "referral"), 0)
        record = {"charge_id": charge_id, "user_id": user_id, "stars": stars, "amount_kopecks": amount,
                  "invoice_id": invoice_id, "inviter_id": inviter_id if share else None, "referral_kopecks": share,
                  "status": "credited", "source": source, "refund": None, "refund_attempts": 0,
                  "created_at": now, "updated_at": now}
        tx.set(pay_ref, record)
        return PaymentStep("credited", as_payment(charge_id, record), after, language)

    return await run(store.db.transaction(max_attempts=TX_ATTEMPTS))


async def begin_refund(store: FirestoreStore, charge_id: str) -> PaymentStep:
    """An admin's refund, before Telegram is asked: debit the payer and reverse the inviter's share, and
    mark the refund pending, in one transaction (or refuse: unknown | already | pending | spent | inviter_spent)."""
    pay_ref = store.db.collection(PAYMENTS).document(charge_id)

    @firestore.async_transactional
    async def run(tx: Any) -> PaymentStep:
        doc = await _load(store, tx, charge_id)
        if doc is None:
            return PaymentStep("unknown")
        payment = as_payment(charge_id, doc)
        balances, users = await _balances(store, tx, payment.user_id, payment.inviter_id)
        language = users.get(payment.user_id, {}).get("language", "ru")
        decision = refund_request(payment, balances.get(payment.user_id, 0), balances.get(payment.inviter_id or 0))
        if not decision.entries:
            return PaymentStep(decision.status, payment, balances, language)
        now = utcnow()
        after = apply_entries(tx, store.db, decision.entries, balances, now)
        payment = replace(payment, refund="pending", refund_attempts=payment.refund_attempts + 1)
        tx.set(pay_ref, {**doc, "refund": "pending", "refund_attempts": payment.refund_attempts,
                         "refund_requested_at": now, "refund_source": "bot", "refund_error": None,
                         "updated_at": now})
        return PaymentStep(decision.status, payment, after, language)

    return await run(store.db.transaction(max_attempts=TX_ATTEMPTS))


async def settle_refund_seen(store: FirestoreStore, charge_id: str, source: str) -> PaymentStep:
    """Telegram returned the Stars (its answer to our call, its refunded_payment update, or its record of
    star transactions): a pending refund is done; one made outside the bot is debited now, once.
    ('done' | 'debited' | 'already' | 'unknown')."""
    pay_ref = store.db.collection(PAYMENTS).document(charge_id)

    @firestore.async_transactional
    async def run(tx: Any) -> PaymentStep:
        doc = await _load(store, tx, charge_id)
        if doc is None:
            return PaymentStep("unknown")
        payment = as_payment(charge_id, doc)
        balances, users = await _balances(store, tx, payment.user_id, payment.inviter_id)
        language = users.get(payment.user_id, {}).get("language", "ru")
        decision = refund_seen(payment)
        if decision.status == "already":
            return PaymentStep(decision.status, payment, balances, language)
        now = utcnow()
        # A user or inviter without a document would fail the update: count them at zero, skip their write.
        missing = tuple(e.user_id for e in decision.entries if e.user_id not in balances)
        balances = {**{u: 0 for u in missing}, **balances}
        after = apply_entries(tx, store.db, decision.entries, balances, now, skip_users=missing)
        attempts = payment.refund_attempts + (1 if decision.entries else 0)
        changes = {"refund": "done", "refund_attempts": attempts, "refunded_at": now, "updated_at": now}
        if decision.entries:
            changes.update(refund_source=source, refund_requested_at=now)
        tx.set(pay_ref, {**doc, **changes})
        return PaymentStep(decision.status, replace(payment, refund="done", refund_attempts=attempts), after, language)

    return await run(store.db.transaction(max_attempts=TX_ATTEMPTS))


async def revert_refund(store: FirestoreStore, charge_id: str, attempt: int, reason: str) -> PaymentStep:
    """Telegram did not return the Stars for refund attempt `attempt`: give back what it debited and mark
    the refund failed, so that it can be retried ('reverted' | 'stale' when the attempt is settled)."""
    pay_ref = store.db.collection(PAYMENTS).document(charge_id)

    @firestore.async_transactional
    async def run(tx: Any) -> PaymentStep:
        doc = await _load(store, tx, charge_id)
        payment = as_payment(charge_id, doc) if doc else None
        balances, users = await _balances(store, tx, *((payment.user_id, payment.inviter_id) if payment else ()))
        decision = refund_not_done(payment, attempt, reason)
        if not decision.entries:
            return PaymentStep(decision.status, payment, balances)
        now = utcnow()
        after = apply_entries(tx, store.db, decision.entries, balances, now)
        tx.set(pay_ref, {**doc, "refund": "failed", "refund_error": reason[:500], "updated_at": now})
        return PaymentStep(decision.status, replace(payment, refund="failed"), after,
                           users.get(payment.user_id, {}).get("language", "ru"), note=reason)

    return await run(store.db.transaction(max_attempts=TX_ATTEMPTS))


async def get_payment(store: FirestoreStore, charge_id: str) -> dict[str, Any] | None:
    snap = await store.db.collection(PAYMENTS).document(charge_id).get()
    return snap.to_dict() if snap.exists else None


async def payments_of(store: FirestoreStore, charge_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The payment documents that exist among these charge ids (1 read each)."""
    refs = [store.db.collection(PAYMENTS).document(c) for c in dict.fromkeys(charge_ids)]
    return {snap.id: snap.to_dict() async for snap in store.db.get_all(refs) if snap.exists} if refs else {}


async def pending_refunds(store: FirestoreStore, limit: int = 100) -> list[dict[str, Any]]:
    """Refunds still waiting for Telegram's record (few: each is settled within minutes)."""
    query = store.db.collection(PAYMENTS).where(filter=firestore.FieldFilter("refund", "==", "pending")).limit(limit)
    return [snap.to_dict() async for snap in query.stream()]


async def reconciliation_cursor(store: FirestoreStore) -> int:
    snap = await store.db.collection(SETTINGS).document(CURSOR).get()
    return int((snap.to_dict() or {}).get("offset", 0)) if snap.exists else 0


async def save_reconciliation_cursor(store: FirestoreStore, offset: int, at: datetime) -> None:
    await store.db.collection(SETTINGS).document(CURSOR).set({"offset": offset, "updated_at": at})
