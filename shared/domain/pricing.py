"""Prices: USD from the pricing truth × FX_RATE × PRICING_MARKUP, rounded up to a whole kopeck.

The truth has one base line per model (it ranks the free tier) and, where the provider's price depends
on options, option lines; the most specific line matching the chosen options prices the run:

    kling-2.6/text-to-video: 0.5500 USD
    kling-2.6/text-to-video {duration=10, sound=true}: 1.1000 USD
    bytedance/seedance-1.5-pro {resolution=720p, generate_audio=false}: 0.0175 USD per second of duration
    elevenlabs/text-to-speech-turbo-2-5: 0.03 USD per 1000 characters of text
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

LINE = re.compile(r"^(?P<model>[^\s{:]+)\s*(?:\{(?P<cond>[^}]*)\})?\s*:\s*(?P<usd>[0-9.]+)\s*USD"
                  r"(?:\s+per\s+(?P<unit>second|1000 characters)\s+of\s+(?P<qty>[\w/]+))?\s*$")


class PricingError(ValueError):
    pass


@dataclass(frozen=True)
class PriceRule:
    usd: Decimal
    conditions: dict[str, str] = field(default_factory=dict)
    unit: str | None = None  # None (per run) | "second" | "1000 characters"
    quantity: tuple[str, ...] = ()  # field names: ("duration",) or ("num_frames", "frames_per_second")

    def matches(self, options: dict[str, str]) -> bool:
        return all(options.get(k) == v for k, v in self.conditions.items())


@dataclass
class PricingTruth:
    base: dict[str, Decimal] = field(default_factory=dict)
    rules: dict[str, list[PriceRule]] = field(default_factory=dict)


def parse_pricing_truth(text: str) -> PricingTruth:
    truth = PricingTruth()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = LINE.match(line)
        if not m:
            raise PricingError(f"pricing truth line {number}: cannot read {raw!r}")
        model, usd = m["model"], Decimal(m["usd"])
        conditions = _conditions(m["cond"], number)
        rule = PriceRule(usd, conditions, m["unit"], tuple(m["qty"].split("/")) if m["qty"] else ())
        if not conditions and rule.unit is None:
            if model in truth.base:
                raise PricingError(f"pricing truth line {number}: duplicate model {model}")
            truth.base[model] = usd
            continue
        rules = truth.rules.setdefault(model, [])
        if any(r.conditions == conditions for r in rules):
            raise PricingError(f"pricing truth line {number}: duplicate option line for {model}")
        rules.append(rule)
    missing = sorted(set(truth.rules) - set(truth.base))
    if missing:
        raise PricingError("option lines without a base line: " + ", ".join(missing))
    return truth


def _conditions(text: str | None, number: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise PricingError(f"pricing truth line {number}: bad condition {part!r}")
        out[key.strip()] = value.strip()
    return out


def option_text(value: Any) -> str:
    """How an option value is written in the truth: booleans lower-case, numbers without '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pick_rule(rules: list[PriceRule], options: dict[str, str]) -> PriceRule | None:
    matching = [r for r in rules if r.matches(options)]
    return max(matching, key=lambda r: len(r.conditions)) if matching else None


def run_usd(base: Decimal, rules: list[PriceRule], options: dict[str, str],
            quantities: dict[str, Decimal]) -> Decimal:
    """The USD price of one run. `options` are the chosen values as text, `quantities` numbers
    (seconds of a media input, characters of a text, numeric fields)."""
    if not rules:
        return base
    rule = pick_rule(rules, options)
    if rule is None:
        raise PricingError("no price for these options: " + ", ".join(f"{k}={v}" for k, v in sorted(options.items())))
    if rule.unit is None:
        return rule.usd
    amount = quantities[rule.quantity[0]]
    if len(rule.quantity) == 2:
        amount = amount / quantities[rule.quantity[1]]
    if rule.unit == "second":
        return rule.usd * amount.to_integral_value(rounding=ROUND_CEILING)  # billed per started second
    return rule.usd * amount / 1000


def rub_kopecks(usd: Decimal, fx_rate: Decimal, markup: Decimal) -> int:
    kopecks = Decimal(usd) * Decimal(fx_rate) * Decimal(markup) * 100
    return int(kopecks.to_integral_value(rounding=ROUND_CEILING))


def price_table(truth: dict[str, Decimal], fx_rate: Decimal, markup: Decimal) -> dict[str, int]:
    return {model_id: rub_kopecks(usd, fx_rate, markup) for model_id, usd in truth.items()}


def rub_to_kopecks(rub: Decimal) -> int:
    return int((Decimal(rub) * 100).to_integral_value(rounding=ROUND_CEILING))


# Decimal and group separators per language: CLDR's (Babel's number symbols; tests/unit/test_language.py
# checks them against Babel), kept here so that a price is formatted without loading any locale data.
SEPARATORS = {"ru": (",", "\u00a0"), "en": (".", ",")}


def format_rub(kopecks: int, lang: str) -> str:
    """1234567 -> '12 345,67 ₽' in Russian, '₽12,345.67' in English (the symbol first, as in $12.34: CLDR's
    English pattern); whole roubles without ',00'."""
    decimal, group = SEPARATORS.get(lang, SEPARATORS["ru"])
    sign = "−" if kopecks < 0 else ""
    rub, kop = divmod(abs(kopecks), 100)
    amount = f"{rub:,}".replace(",", group) + ("" if kop == 0 else f"{decimal}{kop:02d}")
    return f"{sign}₽{amount}" if lang == "en" else f"{sign}{amount} ₽"


def format_decimal(x: float | int | Decimal, lang: str = "ru", places: int = 1, trim: bool = True) -> str:
    """A number with at most `places` decimals (trailing zeros dropped unless not `trim`), in the language's
    separators: 24.8 -> '24,8' in Russian, '24.8' in English; 1234 -> '1 234' / '1,234'."""
    decimal, group = SEPARATORS.get(lang, SEPARATORS["ru"])
    text = f"{Decimal(str(x)):,.{places}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)
