"""Top-ups in Telegram Stars, referral shares, referral codes: pure rules."""
from __future__ import annotations

import re
import string
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
