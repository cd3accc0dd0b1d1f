"""The exact price of one run of a model with the chosen options (what the confirmation shows and the worker charges)."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from shared.catalog import ModelSpec
from shared.domain.jobs import Job
from shared.domain.media import MAX_MEDIA_SECONDS
from shared.domain.pricing import PricingError, PricingTruth, option_text, pick_rule, rub_kopecks, run_usd
from shared.domain.validation import effective_value

OUTPUT_SIZES = ("2K", "4K", "8K")


def _output_size(model: ModelSpec, inputs: dict[str, Any], media: dict[str, list[dict]]) -> str | None:
    """Upscalers are priced by the output's long side; an unknown input size prices as the largest."""
    if not any(f.name == "upscale_factor" for f in model.fields):
        return None
    factor = int(effective_value(model.field("upscale_factor"), inputs) or 1)
    source = next((files[0] for files in media.values() if files), {})
    side = max(source.get("width") or 0, source.get("height") or 0)
    if not side:
        return "8K"
    out = side * factor
    return "2K" if out <= 2048 else "4K" if out <= 4096 else "8K"


def options_and_quantities(model: ModelSpec, inputs: dict[str, Any],
                           media: dict[str, list[dict]] | None = None) -> tuple[dict[str, str], dict[str, Decimal]]:
    media = media or {}
    options: dict[str, str] = {}
    quantities: dict[str, Decimal] = {}
    for f in model.fields:
        value = effective_value(f, inputs)
        if value is None:
            continue
        if f.type in ("enum", "boolean", "number"):
            options[f.name] = option_text(value)
        if f.type == "number" or (f.type == "enum" and option_text(value).replace(".", "", 1).isdigit()):
            quantities[f.name] = Decimal(option_text(value))
        if f.type == "text":
            quantities[f.name] = Decimal(len(str(value)))
        if f.is_media and media.get(f.name):
            quantities[f.name] = Decimal(str(sum(m.get("duration_s") or 0 for m in media[f.name])))
    size = _output_size(model, inputs, media)
    if size:
        options["output_size"] = size
    return options, quantities


def quote_usd(model: ModelSpec, truth: PricingTruth, inputs: dict[str, Any],
              media: dict[str, list[dict]] | None = None) -> Decimal:
    options, quantities = options_and_quantities(model, inputs, media)
    return run_usd(truth.base[model.id], truth.rules.get(model.id, []), options, quantities)


def quote_kopecks(model: ModelSpec, truth: PricingTruth, inputs: dict[str, Any], media: dict[str, list[dict]] | None,
                  fx_rate: Decimal, markup: Decimal) -> int:
    return rub_kopecks(quote_usd(model, truth, inputs, media), fx_rate, markup)


@dataclass(frozen=True)
class Quote:
    """What a confirm button promises: this price, free or paid, for this version of the draft. The
    button carries its digest; confirming re-prices the stored draft and runs only if the digest matches."""

    price_kopecks: int
    is_free: bool
    revision: int  # jobs.revision: bumped by every change of the draft

    @property
    def digest(self) -> str:
        return f"{self.price_kopecks}{'f' if self.is_free else 'p'}{self.revision}"


_DIGEST = re.compile(r"(\d{1,9})([fp])(\d{1,9})")


def parse_digest(digest: str) -> Quote | None:
    match = _DIGEST.fullmatch(digest)
    return Quote(int(match[1]), match[2] == "f", int(match[3])) if match else None


def quote_job(model: ModelSpec, truth: PricingTruth, job: Job, is_free: bool, fx_rate: Decimal,
              markup: Decimal) -> Quote:
    """The quote of a draft as stored: its exact price, and the revision it was priced at."""
    return Quote(quote_kopecks(model, truth, job.inputs, job.media, fx_rate, markup), is_free, job.revision)


def condition_values(model: ModelSpec, name: str) -> list[str]:
    if name == "output_size":
        return list(OUTPUT_SIZES)
    f = model.field(name)
    if f.type == "enum":
        return list(f.values)
    if f.type == "boolean":
        return ["true", "false"]
    raise PricingError(f"{model.id}: price condition on {name}, which is not an option")


def coverage_problems(model: ModelSpec, truth: PricingTruth) -> list[str]:
    """Every allowed combination of the priced options must have a price line."""
    rules = truth.rules.get(model.id, [])
    if not rules:
        return []
    problems = []
    names = sorted({k for r in rules for k in r.conditions})
    try:
        values = [condition_values(model, n) for n in names]
    except (PricingError, KeyError) as err:
        return [f"{model.id}: {err}"]
    for combo in itertools.product(*values):
        options = dict(zip(names, combo))
        if model.is_forbidden(options):
            continue
        if pick_rule(rules, options) is None:
            problems.append(f"{model.id}: no price for " + ", ".join(f"{k}={v}" for k, v in options.items()))
    for rule in rules:
        for name in rule.quantity:
            if not any(f.name == name for f in model.fields):
                problems.append(f"{model.id}: priced per {rule.unit} of unknown field {name}")
    return problems


def min_run_kopecks(model: ModelSpec, truth: PricingTruth, fx_rate: Decimal, markup: Decimal) -> tuple[int, str | None]:
    """The cheapest price line (per run, or per unit), and its unit — for catalog labels."""
    rules = truth.rules.get(model.id, [])
    if not rules:
        return rub_kopecks(truth.base[model.id], fx_rate, markup), None
    cheapest = min(rules, key=lambda r: r.usd)
    if cheapest.unit == "1000 characters":
        return rub_kopecks(cheapest.usd, fx_rate, markup), "1000 characters"
    if cheapest.unit == "second":
        return rub_kopecks(cheapest.usd, fx_rate, markup), "second"
    return rub_kopecks(cheapest.usd, fx_rate, markup), None


def _largest(model: ModelSpec, name: str) -> Decimal | None:
    """The largest amount a priced quantity can reach in one valid run, or None when nothing caps it."""
    f = model.field(name)
    if f.is_media:
        per_file = f.max_duration_s or MAX_MEDIA_SECONDS
        return Decimal(str(per_file)) * ((f.max_count or 1) if f.multiple else 1)
    if f.type == "text":
        return Decimal(f.max_length) if f.max_length else None
    numbers = [Decimal(v) for v in f.values if option_text(v).replace(".", "", 1).isdigit()] if f.type == "enum" else []
    if numbers:
        return max(numbers)
    return Decimal(str(f.max)) if f.max is not None else None


def _smallest(model: ModelSpec, name: str) -> Decimal | None:
    f = model.field(name)
    numbers = [Decimal(v) for v in f.values if option_text(v).replace(".", "", 1).isdigit()] if f.type == "enum" else []
    least = min(numbers) if numbers else (Decimal(str(f.min)) if f.min is not None else None)
    return least if least else None  # a divisor of 0 or none: unbounded


def dearest_run_usd(model: ModelSpec, truth: PricingTruth) -> Decimal | None:
    """The most one valid run of the model can cost: what a free use can cost us at most (None: unbounded).
    The free tier ranks by it, so a model cheap per second but dear per run is never given away."""
    rules = truth.rules.get(model.id, [])
    if not rules:
        return truth.base[model.id]
    dearest = Decimal(0)
    for rule in rules:
        amount = Decimal(1)
        if rule.unit is not None:
            top = _largest(model, rule.quantity[0])
            if len(rule.quantity) == 2 and top is not None:
                bottom = _smallest(model, rule.quantity[1])
                top = top / bottom if bottom else None
            if top is None:
                return None
            amount = top.to_integral_value(rounding=ROUND_CEILING) if rule.unit == "second" else top / 1000
        dearest = max(dearest, rule.usd * amount)
    return dearest


def free_tier_prices(models: list[ModelSpec], truth: PricingTruth, fx_rate: Decimal, markup: Decimal) -> dict[str, int]:
    """Kopecks of each model's dearest run (models whose cost has no bound are left out: never free)."""
    prices = {}
    for model in models:
        usd = dearest_run_usd(model, truth) if model.id in truth.base else None
        if usd is not None:
            prices[model.id] = rub_kopecks(usd, fx_rate, markup)
    return prices


@dataclass(frozen=True)
class Offer:
    """What one model costs this user right now."""

    price: int
    free_left: int | None  # None: not a free model
    limit: int
    varies: bool = False  # the price depends on options: `price` is the lowest
    unit: str | None = None  # "second" | "1000 characters" when priced per unit
    default_price: int | None = None  # when the price varies by options: the price of the default options

    @property
    def is_free(self) -> bool:
        return self.free_left is not None and self.free_left > 0

    def quote(self, revision: int) -> Quote:
        """What a run button shown for this offer on a draft's `revision` promises."""
        return Quote(self.price, self.is_free, revision)
