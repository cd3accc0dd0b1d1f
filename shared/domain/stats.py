"""The admin statistics' numbers for a period, from plain Firestore dicts (the caller fetches them); the
table and the chart that show them are shared/ui/admin/stats.py and chart.py.

Pure code: no Firestore, no HTTP. Money is integer kopecks. A period is `start <= t < end` (UTC aware);
days of the daily series are Moscow days (UTC+3, no DST).

Inputs are the documents of docs/firestore.md:
  users             `user_id`, `created_at`, `last_seen_at`
  generation events `created_at`, `user_id`, `model_id`, `status` (started/success/failed/timeout),
                    `is_free_applied`, `price_kopecks`, `duration_ms`, `request_id`, `job_id`, `error_code`,
                    and, on success events, `kie_cost_kopecks` added by the caller (what KIE took: the price
                    without our markup; when absent, `kie_cost(price_kopecks, markup)` if a markup is given)
  ledger entries    `user_id`, `kind`, `amount_kopecks` (signed), `created_at`, `model_id` (charges/refunds)

A `failed` event with `error_code` INSUFFICIENT_FUNDS or FREE_LIMIT_REACHED is a job that never reached
KIE: it counts in `generations.failed` (and `generations.not_run`) but not in success rates, per-model
volume or the daily failed bars — otherwise a user tapping "confirm" without money would make a model
look broken.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

from shared.domain.clock import MOSCOW

NOT_RUN_ERRORS = frozenset({"INSUFFICIENT_FUNDS", "FREE_LIMIT_REACHED"})
STATUSES = ("started", "success", "failed", "timeout")

Doc = Mapping[str, Any]


# --- models ---------------------------------------------------------------------------------------
@dataclass
class StatusCounts:
    started: int = 0
    success: int = 0
    failed: int = 0   # all failed events, including `not_run`
    timeout: int = 0
    not_run: int = 0  # failed before reaching KIE (INSUFFICIENT_FUNDS, FREE_LIMIT_REACHED)


class _Outcomes:
    """Runs that reached an outcome, and the share that succeeded (for the statistics and model health)."""

    success: int
    failed: int
    timeout: int

    @property
    def runs(self) -> int:
        """Volume: runs that reached an outcome (success + failed + timeout)."""
        return self.success + self.failed + self.timeout

    @property
    def success_rate(self) -> float | None:
        return self.success / self.runs if self.runs else None


@dataclass
class ModelStats(_Outcomes):
    model_id: str
    started: int = 0
    success: int = 0
    failed: int = 0   # runs that failed at KIE or in delivery (not_run excluded)
    timeout: int = 0
    not_run: int = 0
    free_success: int = 0
    kie_cost_kopecks: int = 0  # successful runs, paid and free
    charged_kopecks: int = 0   # ledger charges minus refunds carrying this model_id



@dataclass
class DayStats:
    day: date             # Moscow date
    success: int = 0
    failed: int = 0       # failed + timeout runs (not_run excluded)
    revenue_kopecks: int = 0


@dataclass
class PeriodStats:
    start: datetime
    end: datetime
    new_users: int = 0
    active_users: int = 0
    generations: StatusCounts = field(default_factory=StatusCounts)
    models: list[ModelStats] = field(default_factory=list)  # by volume, largest first
    free_generations: int = 0          # successful free-tier runs
    paid_generations: int = 0          # successful paid runs
    topups_kopecks: int = 0
    payment_refunds_kopecks: int = 0   # positive number: Stars payments given back
    revenue_kopecks: int = 0           # topups − payment refunds
    charges_kopecks: int = 0           # positive number
    refunds_kopecks: int = 0           # generation refunds, positive number
    charged_kopecks: int = 0           # charges − refunds
    kie_spend_kopecks: int = 0         # paid + free
    kie_spend_paid_kopecks: int = 0
    kie_spend_free_kopecks: int = 0
    kie_cost_missing: int = 0          # successful runs with no KIE cost known (counted as 0)
    margin_kopecks: int = 0            # charged − KIE spend on paid runs
    bonuses_kopecks: int = 0
    referral_kopecks: int = 0
    adjust_kopecks: int = 0            # signed sum of admin adjustments
    paying_users: int = 0              # users with at least one charge in the period
    avg_spend_per_paying_kopecks: int = 0  # charged / paying users, rounded half up
    days: list[DayStats] = field(default_factory=list)

    @property
    def margin_after_free_kopecks(self) -> int:
        """Charged − all KIE spend (the free tier is paid for by the paid runs)."""
        return self.charged_kopecks - self.kie_spend_kopecks


@dataclass
class ModelHealth(_Outcomes):
    model_id: str
    success: int = 0
    failed: int = 0
    timeout: int = 0
    median_duration_ms: int | None = None  # of successes with a duration
    last_error_code: str | None = None      # of the most recent failure/timeout in the window



# --- helpers --------------------------------------------------------------------------------------
def kie_cost(price_kopecks: int, markup: Decimal | str | int) -> int:
    """What KIE charged for a run we priced at `price_kopecks`: the price divided by our markup,
    rounded half up to a kopeck."""
    markup = Decimal(str(markup)) if not isinstance(markup, Decimal) else markup
    if markup <= 0:
        raise ValueError("markup must be positive")
    return int((Decimal(int(price_kopecks)) / markup).to_integral_value(rounding=ROUND_HALF_UP))


def as_utc(value: Any) -> datetime | None:
    """A Firestore timestamp (datetime), a naive datetime (taken as UTC) or an ISO string -> aware UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def moscow_date(moment: datetime) -> date:
    return moment.astimezone(MOSCOW).date()


def period_days(start: datetime, end: datetime) -> list[date]:
    """The Moscow dates touched by `[start, end)`."""
    start, end = as_utc(start), as_utc(end)
    if start is None or end is None or end <= start:
        return []
    first, last = moscow_date(start), moscow_date(end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _half_up_div(numerator: int, denominator: int) -> int:
    if not denominator:
        return 0
    return int((Decimal(numerator) / Decimal(denominator)).to_integral_value(rounding=ROUND_HALF_UP))


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _dedupe(events: Iterable[Doc]) -> list[Doc]:
    """One event per job and status, as in Firestore (`{job}_{status}`), in case the caller merged lists."""
    seen: set[tuple[Any, Any]] = set()
    out: list[Doc] = []
    for event in events:
        ident = event.get("job_id") or event.get("request_id")
        if ident is not None:
            key = (ident, event.get("status"))
            if key in seen:
                continue
            seen.add(key)
        out.append(event)
    return out


def _not_run(event: Doc) -> bool:
    return event.get("status") == "failed" and event.get("error_code") in NOT_RUN_ERRORS


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


# --- the period -----------------------------------------------------------------------------------
def period_stats(users: Iterable[Doc], events: Iterable[Doc], ledger: Iterable[Doc],
                 start: datetime, end: datetime, *, markup: Decimal | None = None) -> PeriodStats:
    """Everything the "Статистика" screen shows for `[start, end)`. Documents outside the period are
    ignored, so the caller may over-fetch. `markup` (settings.pricing_markup) prices success events that
    carry no `kie_cost_kopecks`."""
    start, end = as_utc(start), as_utc(end)
    if start is None or end is None:
        raise ValueError("start and end must be datetimes")
    stats = PeriodStats(start=start, end=end)
    days = {d: DayStats(d) for d in period_days(start, end)}
    models: dict[str, ModelStats] = {}
    active: set[Any] = set()
    for user in users:
        if _in(as_utc(user.get("created_at")), start, end):
            stats.new_users += 1
        if _in(as_utc(user.get("last_seen_at")), start, end):
            active.add(user.get("user_id"))
    for event in _dedupe(events):
        at = as_utc(event.get("created_at"))
        if _in(at, start, end):
            active.add(event.get("user_id"))
            _count_event(stats, _model(models, event.get("model_id")), days.get(moscow_date(at)), event, markup)
    stats.active_users = len(active - {None})
    payers: set[Any] = set()
    for entry in ledger:
        at = as_utc(entry.get("created_at"))
        if _in(at, start, end):
            _count_entry(stats, models, days.get(moscow_date(at)), entry, payers)
    _totals(stats, payers)
    stats.models = sorted((m for m in models.values() if m.runs or m.started or m.not_run or m.charged_kopecks),
                          key=lambda m: (-m.runs, -m.started, m.model_id))
    stats.days = list(days.values())
    return stats


def _model(models: dict[str, ModelStats], model_id: Any) -> ModelStats:
    key = str(model_id or "?")
    return models.setdefault(key, ModelStats(key))


def _count_event(stats: PeriodStats, m: ModelStats, day: DayStats | None, event: Doc,
                 markup: Decimal | None) -> None:
    status, g = event.get("status"), stats.generations
    if status == "started":
        g.started += 1
        m.started += 1
    elif status == "success":
        _count_success(stats, m, day, event, markup)
    elif status in ("failed", "timeout"):
        if status == "timeout":
            g.timeout += 1
        else:
            g.failed += 1
        if _not_run(event):
            g.not_run += 1
            m.not_run += 1
            return
        if status == "timeout":
            m.timeout += 1
        else:
            m.failed += 1
        if day:
            day.failed += 1


def _count_success(stats: PeriodStats, m: ModelStats, day: DayStats | None, event: Doc,
                   markup: Decimal | None) -> None:
    stats.generations.success += 1
    m.success += 1
    if day:
        day.success += 1
    cost = event.get("kie_cost_kopecks")
    if cost is None and markup is not None and event.get("price_kopecks") is not None:
        cost = kie_cost(_int(event.get("price_kopecks")), markup)
    if cost is None:
        stats.kie_cost_missing += 1
    cost = _int(cost)
    m.kie_cost_kopecks += cost
    if event.get("is_free_applied"):
        stats.free_generations += 1
        stats.kie_spend_free_kopecks += cost
        m.free_success += 1
    else:
        stats.paid_generations += 1
        stats.kie_spend_paid_kopecks += cost


def _count_entry(stats: PeriodStats, models: dict[str, ModelStats], day: DayStats | None, entry: Doc,
                 payers: set[Any]) -> None:
    kind, amount = entry.get("kind"), _int(entry.get("amount_kopecks"))
    if kind == "topup":
        stats.topups_kopecks += abs(amount)
        if day:
            day.revenue_kopecks += abs(amount)
    elif kind == "payment_refund":
        stats.payment_refunds_kopecks += abs(amount)
        if day:
            day.revenue_kopecks -= abs(amount)
    elif kind == "charge":
        stats.charges_kopecks += abs(amount)
        payers.add(entry.get("user_id"))
        if entry.get("model_id"):
            _model(models, entry["model_id"]).charged_kopecks += abs(amount)
    elif kind == "refund":
        stats.refunds_kopecks += abs(amount)
        if entry.get("model_id"):
            _model(models, entry["model_id"]).charged_kopecks -= abs(amount)
    elif kind == "bonus":
        stats.bonuses_kopecks += amount
    elif kind == "referral":
        stats.referral_kopecks += amount
    elif kind == "adjust":
        stats.adjust_kopecks += amount


def _totals(stats: PeriodStats, payers: set[Any]) -> None:
    stats.revenue_kopecks = stats.topups_kopecks - stats.payment_refunds_kopecks
    stats.charged_kopecks = stats.charges_kopecks - stats.refunds_kopecks
    stats.kie_spend_kopecks = stats.kie_spend_paid_kopecks + stats.kie_spend_free_kopecks
    stats.margin_kopecks = stats.charged_kopecks - stats.kie_spend_paid_kopecks
    stats.paying_users = len(payers)
    stats.avg_spend_per_paying_kopecks = _half_up_div(stats.charged_kopecks, stats.paying_users)


# --- the "Модели" screen --------------------------------------------------------------------------
def model_health(events: Iterable[Doc], window: timedelta, now: datetime | None = None) -> list[ModelHealth]:
    """Per model over the last `window`: success rate and median duration of successes, busiest first.
    Jobs that never reached KIE (INSUFFICIENT_FUNDS, FREE_LIMIT_REACHED) are left out."""
    now = as_utc(now) or datetime.now(timezone.utc)
    since = now - window
    out: dict[str, ModelHealth] = {}
    durations: dict[str, list[int]] = defaultdict(list)
    last_error_at: dict[str, datetime] = {}
    for event in _dedupe(events):
        at = as_utc(event.get("created_at"))
        status = event.get("status")
        if at is None or not since <= at <= now or status not in ("success", "failed", "timeout") or _not_run(event):
            continue
        key = str(event.get("model_id") or "?")
        health = out.setdefault(key, ModelHealth(key))
        if status == "success":
            health.success += 1
            if event.get("duration_ms") is not None:
                durations[key].append(_int(event["duration_ms"]))
            continue
        if status == "timeout":
            health.timeout += 1
        else:
            health.failed += 1
        if key not in last_error_at or at >= last_error_at[key]:
            last_error_at[key] = at
            health.last_error_code = event.get("error_code") or ("TIMEOUT" if status == "timeout" else None)
    for key, values in durations.items():
        out[key].median_duration_ms = int(Decimal(str(statistics.median(values))).to_integral_value(ROUND_HALF_UP))
    return sorted(out.values(), key=lambda h: (-h.runs, h.model_id))
