"""The admin statistics as a text table (an HTML <pre> block for Telegram), in the admin's language."""
from __future__ import annotations

import html
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from shared.domain.pricing import format_rub
from shared.domain.stats import ModelStats, PeriodStats, as_utc, moscow_date, period_days
from shared.ui.texts import t

TELEGRAM_LIMIT = 4096
TOP_MODELS = 15
LABEL_WIDTH = 22
VALUE_WIDTH = 13
MODEL_WIDTH = 24


def period_label(start: datetime, end: datetime) -> str:
    """'01.05.2025 – 07.05.2025' in Moscow dates (the end is exclusive)."""
    days = period_days(start, end)
    if not days:
        return moscow_date(as_utc(start)).strftime("%d.%m.%Y")
    first, last = days[0], days[-1]
    return first.strftime("%d.%m.%Y") if first == last else f"{first:%d.%m.%Y} – {last:%d.%m.%Y}"


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{Decimal(str(rate * 100)).to_integral_value(ROUND_HALF_UP)}%"


def _row(label: str, value: Any) -> str:
    return f"{label:<{LABEL_WIDTH}}{str(value):>{VALUE_WIDTH}}"


def _model_row(m: ModelStats) -> str:
    name = m.model_id if len(m.model_id) <= MODEL_WIDTH else m.model_id[:MODEL_WIDTH - 1] + "…"
    return f"{name:<{MODEL_WIDTH}}{m.runs:>6}{format_rate(m.success_rate):>5}"


def _rows(lang: str, pairs: list[tuple[str, Any]]) -> list[str]:
    return [_row(t(lang, f"stats_{key}"), value) for key, value in pairs]


def _head(stats: PeriodStats, lang: str) -> list[str]:
    g, rub = stats.generations, partial(format_rub, lang=lang)
    head = [t(lang, "stats_title", period=period_label(stats.start, stats.end)), "", t(lang, "stats_users"),
            *_rows(lang, [("new", stats.new_users), ("active", stats.active_users)]), "", t(lang, "stats_gens"),
            *_rows(lang, [("started", g.started), ("success", g.success), ("failed", g.failed),
                          ("not_run", g.not_run), ("timeout", g.timeout), ("free", stats.free_generations)]),
            "", t(lang, "stats_money"),
            *_rows(lang, [("revenue", rub(stats.revenue_kopecks)), ("topups", rub(stats.topups_kopecks)),
                          ("pay_refunds", rub(stats.payment_refunds_kopecks)), ("charged", rub(stats.charged_kopecks)),
                          ("charges", rub(stats.charges_kopecks)), ("refunds", rub(stats.refunds_kopecks)),
                          ("kie", rub(stats.kie_spend_kopecks)), ("kie_paid", rub(stats.kie_spend_paid_kopecks)),
                          ("kie_free", rub(stats.kie_spend_free_kopecks)), ("margin", rub(stats.margin_kopecks)),
                          ("margin_all", rub(stats.margin_after_free_kopecks)), ("bonuses", rub(stats.bonuses_kopecks)),
                          ("referral", rub(stats.referral_kopecks)), ("adjust", rub(stats.adjust_kopecks)),
                          ("paying", stats.paying_users), ("avg", rub(stats.avg_spend_per_paying_kopecks))])]
    if stats.kie_cost_missing:
        head.append(t(lang, "stats_kie_missing", n=stats.kie_cost_missing))
    return head + ["", t(lang, "stats_models")]


def render_table(stats: PeriodStats, lang: str = "ru") -> str:
    """The statistics as an HTML `<pre>` block for Telegram (parse_mode HTML), at most 4096 characters:
    as many of the busiest models as fit."""
    head = _head(stats, lang)

    def build(shown: int) -> str:
        models = stats.models[:shown]
        lines = [*head, *([_model_row(m) for m in models] or [t(lang, "stats_no_models")])]
        if len(stats.models) > len(models):
            lines.append(t(lang, "stats_more", n=len(stats.models) - len(models)))
        return "<pre>" + html.escape("\n".join(lines), quote=False) + "</pre>"

    shown = min(TOP_MODELS, len(stats.models))
    text = build(shown)
    while len(text) > TELEGRAM_LIMIT and shown > 0:
        shown -= 1
        text = build(shown)
    return text
