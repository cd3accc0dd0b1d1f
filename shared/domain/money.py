"""Top-ups in Telegram Stars, referral shares, referral codes: pure rules."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

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
