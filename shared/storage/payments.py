"""Stars payments in Firestore: invoices, the top-up, its refund with a state of its own, the reconciliation cursor.

Documents (docs/firestore.md): `payments/{charge id}`, `invoices/{id}`, `settings/stars_reconciliation`,
and the ledger. Each transaction reads, asks shared/domain/money.py what to do, and writes the entries it
returns; nothing here decides an amount.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.money import (Payment, Status, refund_not_done, refund_request, refund_seen, topup,
                                 topup_amount)
from shared.storage.base import INVOICES, LEDGER, PAYMENTS, SETTINGS, USERS, Aggregate
from shared.storage.ledger import apply_entries

CURSOR = "stars_reconciliation"  # settings/stars_reconciliation: how far Telegram's record was read
INVOICE_TTL = timedelta(hours=24)  # a pre-checkout for an older invoice is refused as stale


@dataclass(frozen=True)
class PaymentStep:
    """The outcome of one payment transaction."""

    status: Status  # credit: credited | repeat; refund: see shared/domain/money.py refund_*
    payment: Payment | None = None
    balances: dict[int, int] = field(default_factory=dict)  # after the step (as read, when nothing was written)
    language: str = "ru"  # the payer's
    note: str = ""  # why a refund was reverted



def as_payment(charge_id: str, doc: dict[str, Any]) -> Payment:
    return Payment(charge_id=charge_id, user_id=doc["user_id"], amount_kopecks=doc["amount_kopecks"],
                   inviter_id=doc.get("inviter_id"), referral_kopecks=doc.get("referral_kopecks") or 0,
                   refund=doc.get("refund"), refund_attempts=doc.get("refund_attempts") or 0,
                   stars=doc.get("stars") or 0)


class Payments(Aggregate):
    # --- invoices -----------------------------------------------------------------------------------
    async def create_invoice(self, invoice_id: str, user_id: int, amount_kopecks: int, stars: int) -> None:
        now = utcnow()
        await self.ref(INVOICES, invoice_id).set({
            "user_id": user_id, "amount_kopecks": amount_kopecks, "stars": stars, "status": "open",
            "created_at": now, "stale_at": now + INVOICE_TTL, "charge_id": None})

    async def get_invoice(self, invoice_id: str) -> dict[str, Any] | None:
        snap = await self.ref(INVOICES, invoice_id).get()
        return snap.to_dict() if snap.exists else None

    # --- reading inside a transaction ---------------------------------------------------------------
    async def _load(self, tx: Any, charge_id: str) -> dict[str, Any] | None:
        """The payment document; for a top-up credited before payments/ existed, one rebuilt from its ledger
        entries (1 read when the document exists, 2 for a new payment, 5 for such an old top-up)."""
        snap = await self.ref(PAYMENTS, charge_id).get(transaction=tx)
        if snap.exists:
            return snap.to_dict()
        topup_entry = await self.ref(LEDGER, f"topup_{charge_id}").get(transaction=tx)
        if not topup_entry.exists:
            return None
        referral, debit, revert = [(await self.ref(LEDGER, f"{prefix}_{charge_id}").get(transaction=tx)).to_dict()
                                   for prefix in ("referral", "payrefund", "payrefund_revert")]
        topup_entry = topup_entry.to_dict()
        refund = ("failed" if revert else "done") if debit else None
        return {"charge_id": charge_id, "user_id": topup_entry["user_id"],
                "amount_kopecks": topup_entry["amount_kopecks"], "stars": None, "invoice_id": None,
                "inviter_id": referral["user_id"] if referral else None,
                "referral_kopecks": referral["amount_kopecks"] if referral else 0, "status": "credited",
                "source": "ledger", "refund": refund, "refund_attempts": 1 if debit else 0,
                "created_at": topup_entry["created_at"], "updated_at": utcnow()}

    async def _balances(self, tx: Any, *user_ids: int | None) -> tuple[dict[int, int], dict[int, Any]]:
        """The balances of these users as read in `tx`, and their documents (missing users are left out)."""
        balances, docs = {}, {}
        for user_id in dict.fromkeys(u for u in user_ids if u):
            snap = await self.ref(USERS, user_id).get(transaction=tx)
            if snap.exists:
                docs[user_id] = snap.to_dict()
                balances[user_id] = docs[user_id].get("balance_kopecks", 0)
        return balances, docs

    async def _read(self, tx: Any, charge_id: str) -> "_Read | None":
        """The payment, and its payer's and inviter's balances, as read in `tx` (None: no such payment)."""
        doc = await self._load(tx, charge_id)
        if doc is None:
            return None
        payment = as_payment(charge_id, doc)
        balances, users = await self._balances(tx, payment.user_id, payment.inviter_id)
        return _Read(doc, payment, balances, users.get(payment.user_id, {}).get("language", "ru"))

    # --- the top-up ---------------------------------------------------------------------------------
    async def credit_topup(self, user_id: int, charge_id: str, invoice_id: str | None, stars: int,
                           stars_per_100_rub: Decimal, referral_percent: Decimal, source: str) -> PaymentStep:
        """Credit a Stars payment once (keyed by Telegram's charge id) with the inviter's share, in one
        transaction, and record it in payments/{charge id}. `source`: update | reconciliation."""
        pay_ref = self.ref(PAYMENTS, charge_id)

        @firestore.async_transactional
        async def run(tx: Any) -> PaymentStep:
            doc = await self._load(tx, charge_id)
            balances, users = await self._balances(tx, user_id)
            language = users.get(user_id, {}).get("language", "ru")
            if doc is not None:
                if doc.get("source") == "ledger":
                    tx.set(pay_ref, doc)  # an old top-up gets its record
                return PaymentStep(Status.REPEAT, as_payment(charge_id, doc), balances, language)
            invoice_ref = self.ref(INVOICES, invoice_id) if invoice_id else None
            invoice = await invoice_ref.get(transaction=tx) if invoice_ref else None
            invoice = invoice.to_dict() if invoice is not None and invoice.exists else None
            inviter_balances, _ = await self._balances(tx, users.get(user_id, {}).get("referrer_id"))
            paid = _Paid(user_id, charge_id, invoice_id, stars, source, topup_amount(invoice, user_id, stars,
                                                                                    stars_per_100_rub))
            record, after = self._credit_in(tx, paid, referral_percent, balances, inviter_balances,
                                            invoice_ref if invoice and invoice.get("user_id") == user_id else None)
            return PaymentStep(Status.CREDITED, as_payment(charge_id, record), after, language)

        return await run(self.transaction())

    def _credit_in(self, tx: Any, paid: "_Paid", percent: Decimal, balances: dict[int, int],
                   inviter_balances: dict[int, int], invoice_ref: Any) -> tuple[dict[str, Any], dict[int, int]]:
        """Write the top-up's entries, the payer's document when they have none, the invoice and the record."""
        inviter_id = next(iter(inviter_balances), None)
        entries = topup(paid.charge_id, paid.user_id, paid.amount, paid.stars, inviter_id, percent)
        now = utcnow()
        new_user = paid.user_id not in balances
        after = apply_entries(tx, self.db, entries, {paid.user_id: 0, **balances, **inviter_balances}, now,
                              skip_users=(paid.user_id,) if new_user else ())
        if new_user:  # paid without a user document (seen by the reconciliation): the money still stands
            tx.set(self.ref(USERS, paid.user_id), {
                "user_id": paid.user_id, "chat_id": paid.user_id, "balance_kopecks": after[paid.user_id],
                "banned": False, "awaiting": None, "referrer_id": None, "created_at": now})
        if invoice_ref is not None:
            tx.update(invoice_ref, {"status": "paid", "charge_id": paid.charge_id, "paid_at": now})
        share = next((e.amount_kopecks for e in entries if e.kind == "referral"), 0)
        record = {"charge_id": paid.charge_id, "user_id": paid.user_id, "stars": paid.stars,
                  "amount_kopecks": paid.amount, "invoice_id": paid.invoice_id,
                  "inviter_id": inviter_id if share else None, "referral_kopecks": share, "status": "credited",
                  "source": paid.source, "refund": None, "refund_attempts": 0, "created_at": now, "updated_at": now}
        tx.set(self.ref(PAYMENTS, paid.charge_id), record)
        return record, after

    # --- refunds ------------------------------------------------------------------------------------
    async def begin_refund(self, charge_id: str) -> PaymentStep:
        """An admin's refund, before Telegram is asked: debit the payer and reverse the inviter's share, and
        mark the refund pending, in one transaction (or refuse: unknown | already | pending | spent | inviter_spent)."""
        pay_ref = self.ref(PAYMENTS, charge_id)

        @firestore.async_transactional
        async def run(tx: Any) -> PaymentStep:
            read = await self._read(tx, charge_id)
            if read is None:
                return PaymentStep(Status.UNKNOWN)
            doc, payment, balances, language = read.doc, read.payment, read.balances, read.language
            decision = refund_request(payment, balances.get(payment.user_id, 0), balances.get(payment.inviter_id or 0))
            if not decision.entries:
                return PaymentStep(decision.status, payment, balances, language)
            now = utcnow()
            after = apply_entries(tx, self.db, decision.entries, balances, now)
            payment = replace(payment, refund="pending", refund_attempts=payment.refund_attempts + 1)
            tx.set(pay_ref, {**doc, "refund": "pending", "refund_attempts": payment.refund_attempts,
                             "refund_requested_at": now, "refund_source": "bot", "refund_error": None,
                             "updated_at": now})
            return PaymentStep(decision.status, payment, after, language)

        return await run(self.transaction())

    async def settle_refund_seen(self, charge_id: str, source: str) -> PaymentStep:
        """Telegram returned the Stars (its answer to our call, its refunded_payment update, or its record of
        star transactions): a pending refund is done; one made outside the bot is debited now, once.
        (done | debited | already | unknown)."""
        pay_ref = self.ref(PAYMENTS, charge_id)

        @firestore.async_transactional
        async def run(tx: Any) -> PaymentStep:
            read = await self._read(tx, charge_id)
            if read is None:
                return PaymentStep(Status.UNKNOWN)
            doc, payment, balances, language = read.doc, read.payment, read.balances, read.language
            decision = refund_seen(payment)
            if decision.status == Status.ALREADY:
                return PaymentStep(decision.status, payment, balances, language)
            now = utcnow()
            # A user or inviter without a document would fail the update: count them at zero, skip their write.
            missing = tuple(e.user_id for e in decision.entries if e.user_id not in balances)
            after = apply_entries(tx, self.db, decision.entries, {**{u: 0 for u in missing}, **balances}, now,
                                  skip_users=missing)
            attempts = payment.refund_attempts + (1 if decision.entries else 0)
            changes = {"refund": "done", "refund_attempts": attempts, "refunded_at": now, "updated_at": now}
            if decision.entries:
                changes.update(refund_source=source, refund_requested_at=now)
            tx.set(pay_ref, {**doc, **changes})
            return PaymentStep(decision.status, replace(payment, refund="done", refund_attempts=attempts), after,
                               language)

        return await run(self.transaction())

    async def revert_refund(self, charge_id: str, attempt: int, reason: str) -> PaymentStep:
        """Telegram did not return the Stars for refund attempt `attempt`: give back what it debited and mark
        the refund failed, so that it can be retried (reverted | stale when the attempt is settled)."""
        pay_ref = self.ref(PAYMENTS, charge_id)

        @firestore.async_transactional
        async def run(tx: Any) -> PaymentStep:
            read = await self._read(tx, charge_id)
            decision = refund_not_done(read.payment if read else None, attempt, reason)
            if not decision.entries:
                return PaymentStep(decision.status, read.payment if read else None, read.balances if read else {})
            now = utcnow()
            after = apply_entries(tx, self.db, decision.entries, read.balances, now)
            tx.set(pay_ref, {**read.doc, "refund": "failed", "refund_error": reason[:500], "updated_at": now})
            return PaymentStep(decision.status, replace(read.payment, refund="failed"), after, read.language,
                               note=reason)

        return await run(self.transaction())

    # --- reads and the reconciliation cursor --------------------------------------------------------
    async def get(self, charge_id: str) -> dict[str, Any] | None:
        snap = await self.ref(PAYMENTS, charge_id).get()
        return snap.to_dict() if snap.exists else None

    async def known(self, charge_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The payment documents that exist among these charge ids (1 read each)."""
        refs = [self.ref(PAYMENTS, c) for c in dict.fromkeys(charge_ids)]
        return {snap.id: snap.to_dict() async for snap in self.db.get_all(refs) if snap.exists} if refs else {}

    async def pending_refunds(self, limit: int = 100) -> list[dict[str, Any]]:
        """Refunds still waiting for Telegram's record (few: each is settled within minutes)."""
        query = self.db.collection(PAYMENTS).where(filter=firestore.FieldFilter("refund", "==", "pending")).limit(limit)
        return [snap.to_dict() async for snap in query.stream()]

    async def cursor(self) -> int:
        snap = await self.ref(SETTINGS, CURSOR).get()
        return int((snap.to_dict() or {}).get("offset", 0)) if snap.exists else 0

    async def save_cursor(self, offset: int, at: datetime) -> None:
        await self.ref(SETTINGS, CURSOR).set({"offset": offset, "updated_at": at})


@dataclass(frozen=True)
class _Paid:
    """A Stars payment being credited."""

    user_id: int
    charge_id: str
    invoice_id: str | None
    stars: int
    source: str
    amount: int  # kopecks, decided by money.topup_amount


@dataclass(frozen=True)
class _Read:
    """A payment as a refund transaction read it."""

    doc: dict[str, Any]
    payment: Payment
    balances: dict[int, int]
    language: str
