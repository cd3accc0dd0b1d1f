"""Every money rule, as pure functions: Stars top-ups and referral shares, Stars refunds and their reversal,
bonuses, admin adjustments, a generation's charge and refund. Storage transactions read, ask these, write."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

ALPHABET = string.digits + string.ascii_lowercase
REF_PREFIX = "ref_"
INVOICE_PREFIX = "topup:"


def stars_for(rub: int, stars_per_100_rub: Decimal) -> int:
    """Whole Stars for a ₽ amount, rounded up (Telegram prices are whole Stars)."""
    return int((Decimal(rub) * stars_per_100_rub / 100).to_integral_value(rounding=ROUND_CEILING))


def referral_share(amount_kopecks: int, percent: Decimal) -> int:
    """The inviter's share of a top-up, rounded down to a kopeck (we never pay out more than the percent)."""
    return int((Decimal(amount_kopecks) * percent / 100).to_integral_value(rounding=ROUND_FLOOR))


def parse_rub_amount(text: str) -> int | None:
    """'500', '1 000', '1000 ₽', '1000р' -> whole roubles; anything else -> None."""
    cleaned = re.sub(r"руб(лей|ля|ль)?|[\s\u00a0₽р.]", "", text.strip().lower())
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 7 else None


def referral_code(user_id: int) -> str:
    """A short, stable code for a user's invite link (base 36 of the Telegram id)."""
    n, out = user_id, ""
    while True:
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
        if n == 0:
            return out


def referrer_from_payload(payload: str | None) -> int | None:
    """`/start ref_<code>` -> the inviter's user id; malformed payloads are ignored."""
    if not payload or not payload.startswith(REF_PREFIX) or len(payload) > 64:
        return None
    code = payload[len(REF_PREFIX):]
    if not code or any(ch not in ALPHABET for ch in code) or len(code) > 13:
        return None
    return int(code, 36)


def invoice_payload(invoice_id: str) -> str:
    return INVOICE_PREFIX + invoice_id


def invoice_id_from(payload: str | None) -> str | None:
    if not payload or not payload.startswith(INVOICE_PREFIX):
        return None
    return payload[len(INVOICE_PREFIX):] or None


def precheckout_problem(invoice: dict | None, user_id: int, currency: str, total: int, now) -> str | None:
    """Why a pre-checkout must be refused (a text key), or None to accept it."""
    if invoice is None or invoice.get("user_id") != user_id:
        return "precheckout_unknown"
    if invoice.get("status") != "open":
        return "precheckout_paid"
    if currency != "XTR" or total != invoice.get("stars"):
        return "precheckout_mismatch"
    if invoice.get("stale_at") and invoice["stale_at"] < now:
        return "precheckout_stale"
    return None


def rub_for_stars(stars: int, stars_per_100_rub: Decimal) -> int:
    """Kopecks for Stars paid against an invoice we cannot find (never happens normally: the payment stands)."""
    return int((Decimal(stars) * 100 / stars_per_100_rub * 100).to_integral_value(rounding=ROUND_FLOOR))


# =====================================================================================================
# Money decisions outside generations: top-ups, Stars refunds, bonuses, admin adjustments.
#
# Each storage transaction reads the documents, calls one of these functions and writes the entries it
# returns (shared/storage/ledger.py `apply_entries`): the storage keeps the transactions and the keys,
# these functions decide. An entry's key is its ledger document id, so a retried transaction finds it.
# =====================================================================================================

@dataclass(frozen=True)
class LedgerEntry:
    """One balance change: `amount_kopecks` (signed) on `user_id`'s balance, recorded as ledger/`key`."""

    key: str
    user_id: int
    kind: str
    amount_kopecks: int
    ref: str = ""
    note: str = ""
    referral_income: bool = False  # also moves the user's `referral_income_kopecks`
    request_id: str | None = None  # a generation's charge or refund: its RQ code and model, for admins
    model_id: str | None = None


class Status(StrEnum):
    """What a money rule or a payment transaction decided (the values name the admin's reply texts)."""

    APPLIED = "applied"  # an adjustment
    NEGATIVE = "negative"  # an adjustment refused: it would take the balance below zero
    MISSING = "missing"  # an adjustment of a user we do not know
    REPEAT = "repeat"  # the key was applied before: nothing changed
    CREDITED = "credited"  # a Stars payment
    UNKNOWN = "unknown"  # a payment we never credited
    ALREADY = "already"  # refunded before
    PENDING = "pending"  # a refund waiting for Telegram's word
    SPENT = "spent"  # a refund refused: the payer spent the money
    INVITER_SPENT = "inviter_spent"  # a refund refused: the inviter spent their share
    DEBITED = "debited"  # a refund's money taken back
    DONE = "done"  # a refund Telegram confirmed
    STALE = "stale"  # a revert of an attempt that is settled already
    REVERTED = "reverted"  # a refund given back: Telegram did not return the Stars


@dataclass(frozen=True)
class MoneyDecision:
    """What a money rule decided: a status for the caller and the entries to write (none when refused)."""

    status: Status
    entries: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class Payment:
    """A credited Stars payment as the refund rules need it (payments/{charge id})."""

    charge_id: str
    user_id: int
    amount_kopecks: int
    inviter_id: int | None = None
    referral_kopecks: int = 0
    refund: str | None = None  # None | pending | done | failed
    refund_attempts: int = 0
    stars: int = 0  # what the payer paid (told back on a refund)


# --- bonuses at the first contact -----------------------------------------------------------------

def first_contact(user_id: int, referrer_id: int | None, inviter_exists: bool, start_bonus_kopecks: int,
                  welcome_kopecks: int) -> tuple[int | None, tuple[LedgerEntry, ...]]:
    """A new user: who invited them (nobody invites themselves, only an existing user invites) and the
    start bonus and referral welcome they get, each once (keyed by the user id)."""
    inviter = referrer_id if referrer_id and referrer_id != user_id and inviter_exists else None
    entries = []
    if start_bonus_kopecks > 0:
        entries.append(LedgerEntry(f"bonus_start_{user_id}", user_id, "bonus", start_bonus_kopecks, ref="start_bonus"))
    if inviter and welcome_kopecks > 0:
        entries.append(LedgerEntry(f"bonus_referral_{user_id}", user_id, "bonus", welcome_kopecks,
                                   ref=f"referral:{inviter}", note="referral welcome"))
    return inviter, tuple(entries)


# --- admin adjustments ----------------------------------------------------------------------------

def adjustment(user_id: int, balance_kopecks: int, amount_kopecks: int, key: str, ref: str = "", note: str = "",
               kind: str = "adjust") -> MoneyDecision:
    """A manual correction. It never takes a balance below zero (a credit is always allowed)."""
    if amount_kopecks < 0 and balance_kopecks + amount_kopecks < 0:
        return MoneyDecision(Status.NEGATIVE)
    return MoneyDecision(Status.APPLIED, (LedgerEntry(key, user_id, kind, amount_kopecks, ref=ref, note=note),))


# --- top-ups --------------------------------------------------------------------------------------

def topup_amount(invoice: dict | None, user_id: int, stars: int, stars_per_100_rub: Decimal) -> int:
    """What a Stars payment credits: our invoice's amount when the invoice is this user's and the Stars
    match it; otherwise the Stars at the configured rate (the Stars are paid: the payment always stands)."""
    if invoice and invoice.get("user_id") == user_id and invoice.get("stars") == stars:
        return int(invoice["amount_kopecks"])
    return rub_for_stars(stars, stars_per_100_rub)


def topup(charge_id: str, user_id: int, amount_kopecks: int, stars: int, inviter_id: int | None,
          percent: Decimal) -> tuple[LedgerEntry, ...]:
    """A Stars payment: the top-up, and the inviter's share of it (both keyed by Telegram's charge id)."""
    entries = [LedgerEntry(f"topup_{charge_id}", user_id, "topup", amount_kopecks, ref=charge_id, note=f"{stars} XTR")]
    share = referral_share(amount_kopecks, percent) if inviter_id and inviter_id != user_id else 0
    if share > 0:
        entries.append(LedgerEntry(f"referral_{charge_id}", inviter_id, "referral", share, ref=charge_id,
                                   note=f"from {user_id}", referral_income=True))
    return tuple(entries)


# --- Stars refunds --------------------------------------------------------------------------------
# A refund takes the top-up back and reverses the inviter's share in one transaction, before the Stars
# go back (refund: pending). Telegram's answer, or its record of star transactions, settles it: done, or
# failed with both entries reverted. Each attempt has its own keys, so an attempt after a failed one applies.

def _attempt_key(prefix: str, charge_id: str, attempt: int) -> str:
    return f"{prefix}_{charge_id}" if attempt == 1 else f"{prefix}_{charge_id}_{attempt}"


def refund_debit(payment: Payment, attempt: int, note: str = "") -> tuple[LedgerEntry, ...]:
    """Attempt `attempt`'s debit of the payer and reversal of the inviter's share."""
    charge = payment.charge_id
    entries = [LedgerEntry(_attempt_key("payrefund", charge, attempt), payment.user_id, "payment_refund",
                           -payment.amount_kopecks, ref=charge, note=note)]
    if payment.inviter_id and payment.referral_kopecks > 0:
        entries.append(LedgerEntry(_attempt_key("refreversal", charge, attempt), payment.inviter_id,
                                   "referral_reversal", -payment.referral_kopecks, ref=charge,
                                   note=f"refund to {payment.user_id}", referral_income=True))
    return tuple(entries)


def refund_revert(payment: Payment, attempt: int, reason: str) -> tuple[LedgerEntry, ...]:
    """Attempt `attempt`'s entries given back: the Stars did not go back."""
    prefixes = ("payrefund_revert", "refreversal_revert")  # in refund_debit's order: payer, inviter
    return tuple(LedgerEntry(_attempt_key(prefix, payment.charge_id, attempt), e.user_id, "payment_refund_revert",
                             -e.amount_kopecks, ref=payment.charge_id, note=reason[:200],
                             referral_income=e.referral_income)
                 for prefix, e in zip(prefixes, refund_debit(payment, attempt)))


def refund_request(payment: Payment | None, payer_balance: int, inviter_balance: int | None) -> MoneyDecision:
    """An admin's /refund. Refused while the money is spent: the payer's top-up, or the inviter's share
    (a refund that left the share would pay the inviter for money we gave back: the referral farm)."""
    if payment is None:
        return MoneyDecision(Status.UNKNOWN)
    if payment.refund in ("done", "pending"):
        return MoneyDecision(Status.ALREADY if payment.refund == "done" else Status.PENDING)
    if payer_balance < payment.amount_kopecks:
        return MoneyDecision(Status.SPENT)
    if payment.inviter_id and payment.referral_kopecks > (inviter_balance or 0):
        return MoneyDecision(Status.INVITER_SPENT)
    return MoneyDecision(Status.DEBITED, refund_debit(payment, payment.refund_attempts + 1))


def refund_seen(payment: Payment | None) -> MoneyDecision:
    """Telegram's record shows the Stars went back (its refunded_payment update, its star transactions).
    A pending refund is done; a refund made outside the bot (or after ours was reverted) is debited now,
    even below zero: the Stars are gone, the balance shows what is owed."""
    if payment is None:
        return MoneyDecision(Status.UNKNOWN)
    if payment.refund == "done":
        return MoneyDecision(Status.ALREADY)
    if payment.refund == "pending":
        return MoneyDecision(Status.DONE)
    return MoneyDecision(Status.DEBITED, refund_debit(payment, payment.refund_attempts + 1, note="refunded outside the bot"))


def refund_not_done(payment: Payment | None, attempt: int, reason: str) -> MoneyDecision:
    """Telegram refused attempt `attempt` (or its record shows no refund long after it): revert it."""
    if payment is None or payment.refund != "pending" or payment.refund_attempts != attempt:
        return MoneyDecision(Status.STALE)
    return MoneyDecision(Status.REVERTED, refund_revert(payment, attempt, reason))


# --- A generation's charge and its refund ------------------------------------------------------------
# The worker's start transaction (storage `start`) and the refund transaction (storage `refund`) read the
# balance or today's free uses, ask these functions, then write what they decided. Nothing here reads or
# writes anything.

PAID, FREE, SMOKE = "paid", "free", "smoke"
INSUFFICIENT_FUNDS, FREE_LIMIT = "insufficient_funds", "free_limit"


@dataclass(frozen=True)
class Charge:
    """What starting a generation takes: the price from the balance, one free use, nothing (an admin smoke
    test), or nothing because it is refused (`INSUFFICIENT_FUNDS`, `FREE_LIMIT`)."""

    outcome: str
    amount_kopecks: int = 0  # taken from the balance (a `charge_{job}` ledger entry of minus this)
    balance_after: int | None = None
    free_used_after: int | None = None  # the model's free uses today, this one included

    @property
    def refused(self) -> bool:
        return self.outcome in (INSUFFICIENT_FUNDS, FREE_LIMIT)


def decide_charge(price_kopecks: int, is_free: bool, smoke: bool, balance_kopecks: int, free_used: int,
                  free_limit: int) -> Charge:
    """The charge for a confirmed job: the price fixed at confirmation, or one free use within the daily limit."""
    if smoke:
        return Charge(SMOKE)
    if is_free:
        if free_used >= free_limit:
            return Charge(FREE_LIMIT)
        return Charge(FREE, free_used_after=free_used + 1)
    if balance_kopecks < price_kopecks:
        return Charge(INSUFFICIENT_FUNDS)
    return Charge(PAID, price_kopecks, balance_kopecks - price_kopecks)


def charge_entries(charge: Charge, job_id: str, user_id: int, request_id: str | None,
                   model_id: str) -> tuple[LedgerEntry, ...]:
    """The ledger entry of a paid start (`charge_{job}`: a retried start finds it); none for a free use."""
    if not charge.amount_kopecks:
        return ()
    return (LedgerEntry(f"charge_{job_id}", user_id, "charge", -charge.amount_kopecks, ref=job_id,
                        request_id=request_id, model_id=model_id),)


@dataclass(frozen=True)
class Refund:
    """What ending a charged job without a result gives back: the money, or the free use."""

    amount_kopecks: int = 0  # back to the balance (a `refund_{job}` ledger entry)
    balance_after: int | None = None
    free_used_after: int | None = None  # the free uses of that day after giving this one back

    @property
    def gives_money(self) -> bool:
        return self.amount_kopecks > 0


def decide_refund(charged_kopecks: int, free_day: str | None, already_refunded: bool, balance_kopecks: int,
                  free_used: int) -> Refund:
    """Money back once (the `refund_{job}` entry is the proof); a free use goes back to the day it was taken."""
    if charged_kopecks > 0:
        if already_refunded:
            return Refund()
        return Refund(charged_kopecks, balance_kopecks + charged_kopecks)
    if free_day:
        return Refund(free_used_after=max(0, free_used - 1))
    return Refund()


def refund_entries(refund: Refund, job_id: str, user_id: int, request_id: str | None, model_id: str,
                   reason: str) -> tuple[LedgerEntry, ...]:
    """The ledger entry of a refund with money (`refund_{job}`, its error code as the note)."""
    if not refund.gives_money:
        return ()
    return (LedgerEntry(f"refund_{job_id}", user_id, "refund", refund.amount_kopecks, ref=job_id, note=reason,
                        request_id=request_id, model_id=model_id),)
