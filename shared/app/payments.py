"""Stars payments: credit a payment, refund one (with a state of its own), reconcile with Telegram's record.

The webhook uses it for invoices, pre-checkouts, successful_payment, refunded_payment and /refund; the
reconciliation sweep for `sweep_payments`.

Telegram's record of star transactions (getStarTransactions, oldest first) is the truth for Stars: every
incoming payment in it must be credited once, every refund in it debited once. Each run reads it from a
stored cursor (minus an overlap) to its end.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from telegram import StarTransaction, TransactionPartnerUser
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from shared.app import alerts
from shared.clients import telegram
from shared.domain.clock import utcnow
from shared.domain.jobs import new_job_id
from shared.domain.money import Status, invoice_id_from, invoice_payload, precheckout_problem, stars_for
from shared.domain.screen import Screen
from shared.logs import mask_user
from shared.storage.payments import PaymentStep, as_payment
from shared.ui import account
from shared.ui.admin import notices

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("payments")
PAGE = 100  # getStarTransactions' largest page
OVERLAP = 20  # transactions re-read before the cursor each run: a safety margin (1 Firestore read each)
MAX_PAGES = 20  # per run (2,000 transactions); the next run goes on from the cursor
# was not made (the call itself times out after 15 s)


@dataclass(frozen=True)
class StarEvent:
    """One of Telegram's star transactions that concerns us: a user's payment of an invoice, or its refund."""

    kind: str  # payment | refund
    charge_id: str
    user_id: int
    stars: int
    payload: str | None


def star_event(tx: StarTransaction) -> StarEvent | None:
    """A refund has the same id as its payment and the user as the receiver; anything else (withdrawals,
    ads, paid media of others) is not a top-up of ours."""
    partner, kind = (tx.source, "payment") if tx.source is not None else (tx.receiver, "refund")
    if not isinstance(partner, TransactionPartnerUser) or partner.transaction_type not in (None, "invoice_payment"):
        return None
    return StarEvent(kind, tx.id, partner.user.id, tx.amount, partner.invoice_payload)


async def tell(c: "Container", chat_id: int, screen: Screen) -> None:
    """One attempt: a notice is not worth failing money that is already booked, nor worth saying twice."""
    await telegram.send(c.bot, chat_id, screen, retry=False)


# --- an invoice, its pre-checkout, the credit ----------------------------------------------------------------

@dataclass(frozen=True)
class Invoice:
    """What the webhook sends as a Stars invoice."""

    rub: int
    stars: int
    payload: str


async def new_invoice(c: "Container", user_id: int, rub: int) -> Invoice | None:
    """An invoice document for `rub` roubles (None outside the top-up limits); its payload names the
    document, which the pre-checkout checks."""
    s = c.settings
    if not s.topup_min_rub <= rub <= s.topup_max_rub:
        return None
    invoice_id, stars = new_job_id(), stars_for(rub, s.stars_per_100_rub)
    await c.store.payments.create_invoice(invoice_id, user_id, rub * 100, stars)
    return Invoice(rub, stars, invoice_payload(invoice_id))


async def precheckout(c: "Container", user_id: int, payload: str, currency: str, total: int) -> str | None:
    """Why a pre-checkout must be refused (a text key), or None. Telegram waits at most 10 s for the answer:
    two reads at once (the invoice, the user), no writes. A banned user is refused here, because a payment
    that went through is always credited."""
    invoice_id = invoice_id_from(payload)
    user, invoice = await asyncio.gather(c.store.users.get(user_id),
                                         c.store.payments.get_invoice(invoice_id) if invoice_id else _nothing())
    if user is not None and user.banned:
        return "banned"
    return precheckout_problem(invoice, user_id, currency, total, utcnow())


async def _nothing() -> None:
    return None


async def credit(c: "Container", user_id: int, charge_id: str, payload: str | None, stars: int,
                 source: str) -> PaymentStep:
    """Credit a Stars payment once, whatever the user's status: the Stars are paid."""
    s = c.settings
    step = await c.store.payments.credit_topup(user_id, charge_id, invoice_id_from(payload), stars,
                                               s.stars_per_100_rub, s.referral_percent, source)
    payment = step.payment
    if step.status == Status.CREDITED and payment.inviter_id and payment.referral_kopecks:
        await _tell_user(c, payment.inviter_id, lambda lang: account.referral_income(
            lang, payment.referral_kopecks, step.balances.get(payment.inviter_id, 0)))
    return step


async def _tell_user(c: "Container", user_id: int, screen: Callable[[str], Screen]) -> None:
    """A money notice to a user other than the one this update is about, in their language."""
    user = await c.store.users.get(user_id)
    await tell(c, user_id, screen(user.language if user else "ru"))


async def _tell_refunded(c: "Container", step: PaymentStep) -> None:
    """An admin's refund is done (Telegram returned the Stars): the payer and the inviter whose share went
    back are told, once (the step is DONE for one call only)."""
    payment, balances = step.payment, step.balances
    await tell(c, payment.user_id, account.stars_refunded(step.language, payment, balances.get(payment.user_id, 0)))
    await _tell_reversal(c, step)


async def _tell_reversal(c: "Container", step: PaymentStep) -> None:
    payment = step.payment
    if payment.inviter_id and payment.referral_kopecks:
        await _tell_user(c, payment.inviter_id, lambda lang: account.referral_reversed(
            lang, payment.referral_kopecks, step.balances.get(payment.inviter_id, 0)))


# --- refunds ----------------------------------------------------------------------------------------------

async def refund(c: "Container", charge_id: str) -> PaymentStep:
    """An admin's refund: debit (refused while spent), ask Telegram, settle. The status is what to tell the
    admin: done | reverted (Telegram refused: retry later) | pending (no answer: settled by the sweep) |
    unknown | already | spent | inviter_spent."""
    step = await c.store.payments.begin_refund(charge_id)
    if step.status == Status.PENDING:  # an earlier attempt got no answer: Telegram's record may settle it now
        return await _settle_pending(c, charge_id, await _read_record(c))
    if step.status != Status.DEBITED:
        return step
    payment = step.payment
    try:
        await c.bot.refund_star_payment(payment.user_id, charge_id)
    except TelegramError as err:
        log.warning("refundStarPayment failed: %s", err, extra={"user": mask_user(payment.user_id)})
        # Telegram answered (it did not refund now) or it did not answer (it may have): its record decides.
        answered = isinstance(err, (BadRequest, Forbidden, RetryAfter))
        counts = await _read_record(c)  # a refund it shows is settled there: pending -> done
        if answered and counts["complete"]:
            reverted = await c.store.payments.revert_refund(charge_id, payment.refund_attempts, f"Telegram: {err}")
            if reverted.status == Status.REVERTED:
                return reverted
        return await _current(c, charge_id, step)
    return await refund_seen(c, charge_id, "bot")


async def _read_record(c: "Container") -> dict[str, int]:
    """Reconcile now; when Telegram's record cannot be read, nothing is settled (the sweep will)."""
    try:
        return await reconcile(c)
    except TelegramError as err:
        log.warning("star transactions not read: %s", err)
        return {"complete": 0}


async def _current(c: "Container", charge_id: str, step: PaymentStep) -> PaymentStep:
    doc = await c.store.payments.get(charge_id)
    status = {"done": Status.DONE, "failed": Status.REVERTED}.get(doc.get("refund"), Status.PENDING)
    return PaymentStep(status, as_payment(charge_id, doc), step.balances, step.language,
                       note=doc.get("refund_error") or "")


async def _settle_pending(c: "Container", charge_id: str, counts: dict[str, int]) -> PaymentStep:
    """A refund still pending after Telegram's record was read to its end: reverted once the call is long
    over (the Stars did not go back); until then it stays pending."""
    doc = await c.store.payments.get(charge_id)
    if doc is None:
        return PaymentStep(Status.UNKNOWN)
    if (doc.get("refund") == "pending" and counts["complete"]
            and doc["refund_requested_at"] < utcnow() - timedelta(seconds=c.settings.stars_refund_settle_s)):
        return await c.store.payments.revert_refund(charge_id, doc["refund_attempts"],
                                         "no refund in Telegram's record of star transactions")
    return await _current(c, charge_id, PaymentStep(Status.PENDING))


async def refund_seen(c: "Container", charge_id: str, source: str) -> PaymentStep:
    """Telegram returned the Stars (a refunded_payment update or its record): debit once; a refund made
    outside the bot is told to the payer and the admins."""
    step = await c.store.payments.settle_refund_seen(charge_id, source)
    if step.status == Status.UNKNOWN:
        log.error("Telegram refunded a payment we never credited: %s", charge_id)
    if step.status == Status.DONE:
        await _tell_refunded(c, step)
    if step.status != Status.DEBITED:
        return step
    payment, balances = step.payment, step.balances
    await tell(c, payment.user_id, account.payment_refunded(step.language, payment, balances[payment.user_id]))
    await _tell_reversal(c, step)
    await alerts.tell_admins(c, lambda lang: notices.refunded_outside(lang, payment, balances))
    log.warning("a Stars refund made outside the bot was debited", extra={"user": mask_user(payment.user_id)})
    return step


# --- reconciliation ---------------------------------------------------------------------------------------

async def reconcile(c: "Container") -> dict[str, int]:
    """Read Telegram's star transactions from the cursor (minus OVERLAP) to the end: credit every payment
    missing from the ledger, debit every refund not booked. `complete` is 1 when the end was reached."""
    counts: dict[str, int] = Counter()
    cursor = await c.store.payments.cursor()
    offset = max(0, cursor - OVERLAP)
    for _ in range(MAX_PAGES):
        page = (await c.bot.get_star_transactions(offset=offset, limit=PAGE)).transactions
        if len(page) > 1 and page[0].date > page[-1].date:  # the cursor would skip new transactions
            log.error("getStarTransactions answered newest first; the reconciliation expects oldest first")
        events = [e for e in map(star_event, page) if e is not None]
        known = await c.store.payments.known([e.charge_id for e in events])
        for event in events:
            await _reconcile_one(c, event, known.get(event.charge_id), counts)
        offset += len(page)
        counts["stars_read"] += len(page)
        if len(page) < PAGE:
            counts["complete"] = 1
            break
    if offset > cursor:
        await c.store.payments.save_cursor(offset, utcnow())
    counts.setdefault("complete", 0)
    return counts


async def _reconcile_one(c: "Container", event: StarEvent, known: dict[str, Any] | None, counts: Counter) -> None:
    if event.kind == "payment":
        if known is not None:
            return
        step = await credit(c, event.user_id, event.charge_id, event.payload, event.stars, "reconciliation")
        if step.status == Status.CREDITED:  # its successful_payment never reached us (or failed for good)
            counts["stars_credited"] += 1
            log.warning("a Stars payment missing from the ledger was credited", extra={"user": mask_user(event.user_id)})
            await tell(c, event.user_id, account.topup_done(step.language, step.payment,
                                                            step.balances[step.payment.user_id]))
        return
    if known is not None and known.get("refund") == "done":
        return
    step = await refund_seen(c, event.charge_id, "telegram")
    counts[{Status.DEBITED: "stars_refunds_debited", Status.DONE: "stars_refunds_settled"}.get(step.status,
                                                                                         "stars_other")] += 1


async def sweep_payments(c: "Container") -> dict[str, int]:
    """The reconciliation sweep's payment part: reconcile, then settle refunds left pending."""
    counts = await reconcile(c)
    for doc in await c.store.payments.pending_refunds():
        step = await _settle_pending(c, doc["charge_id"], counts)
        if step.status == Status.REVERTED:
            counts["stars_refunds_reverted"] += 1
    return dict(counts)
