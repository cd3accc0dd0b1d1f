"""Prices in kopecks: USD × FX_RATE × PRICING_MARKUP, rounded up to a whole kopeck."""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal


def rub_kopecks(usd: Decimal, fx_rate: Decimal, markup: Decimal) -> int:
    kopecks = Decimal(usd) * Decimal(fx_rate) * Decimal(markup) * 100
    return int(kopecks.to_integral_value(rounding=ROUND_CEILING))


def price_table(truth: dict[str, Decimal], fx_rate: Decimal, markup: Decimal) -> dict[str, int]:
    return {model_id: rub_kopecks(usd, fx_rate, markup) for model_id, usd in truth.items()}


def rub_to_kopecks(rub: Decimal) -> int:
    return int((Decimal(rub) * 100).to_integral_value(rounding=ROUND_CEILING))


def format_rub(kopecks: int) -> str:
    """1234567 -> '12 345,67 ₽' (Russian grouping; whole roubles without ',00')."""
    sign = "−" if kopecks < 0 else ""
    rub, kop = divmod(abs(kopecks), 100)
    whole = f"{rub:,}".replace(",", "\u00a0")
    return f"{sign}{whole} ₽" if kop == 0 else f"{sign}{whole},{kop:02d} ₽"
