"""Admin statistics: hand-made data over one Moscow week with known answers; the text table; the chart."""
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from PIL import Image

from shared.domain.stats import ModelStats, PeriodStats, kie_cost, model_health, period_days, period_stats
from shared.ui.admin.chart import HEIGHT, WIDTH, nice_ticks, render_chart
from shared.ui.admin.stats import render_table


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# The week 01.05–07.05.2025 in Moscow time = [30.04 21:00 UTC, 07.05 21:00 UTC).
START, END = utc(2025, 4, 30, 21), utc(2025, 5, 7, 21)
MARKUP = Decimal("2")

USERS = [
    {"user_id": 1, "created_at": utc(2025, 4, 20), "last_seen_at": utc(2025, 5, 3)},          # active
    {"user_id": 2, "created_at": utc(2025, 5, 1, 21, 30), "last_seen_at": utc(2025, 5, 2)},   # new, active
    {"user_id": 3, "created_at": utc(2025, 4, 30, 20, 59), "last_seen_at": utc(2025, 4, 30, 20, 59)},  # 23:59 MSK
    {"user_id": 4, "created_at": utc(2025, 5, 7, 21), "last_seen_at": utc(2025, 5, 7, 21)},   # 00:00 MSK after
    {"user_id": 5, "created_at": utc(2025, 4, 1), "last_seen_at": utc(2025, 4, 2)},
    {"user_id": 6, "created_at": utc(2025, 5, 5), "last_seen_at": utc(2025, 5, 5)},           # new, active
]


def ev(job, status, at, *, user, model, price, free=False, duration=None, error=None, **extra):
    return {"job_id": job, "request_id": f"RQ-{job}", "status": status, "created_at": at, "user_id": user,
            "model_id": model, "price_kopecks": price, "is_free_applied": free, "duration_ms": duration,
            "error_code": error, **extra}


def run(job, at, outcome, *, duration=None, error=None, **kw):
    return [ev(job, "started", at, **kw), ev(job, outcome, at + timedelta(seconds=5), duration=duration,
                                             error=error, **kw)]


EVENTS = [
    # m/a: 3 successes (one free), 1 failure, 1 "insufficient funds" that never ran -> 3/4.
    *run("j1", utc(2025, 5, 1, 10), "success", user=1, model="m/a", price=1000, duration=4000),
    *run("j2", utc(2025, 5, 1, 22), "success", user=1, model="m/a", price=1000, duration=6000),  # 01:00 MSK 02.05
    *run("j3", utc(2025, 4, 30, 21), "success", user=3, model="m/a", price=1000, free=True, duration=8000),
    *run("j4", utc(2025, 5, 2, 12), "failed", user=2, model="m/a", price=1000, error="GENERATION_FAILED"),
    ev("j5", "failed", utc(2025, 5, 2, 12, 5), user=2, model="m/a", price=1000, error="INSUFFICIENT_FUNDS"),
    # m/b: 1 success, 1 timeout, 1 failure -> 1/3.
    *run("j6", utc(2025, 5, 3, 9), "success", user=2, model="m/b", price=301, duration=20000),
    *run("j7", utc(2025, 5, 4, 9), "timeout", user=6, model="m/b", price=301, error="TIMEOUT"),
    *run("j8", utc(2025, 5, 5, 9), "failed", user=6, model="m/b", price=301, error="PROVIDER_REJECTED"),
    # m/c: one success in the last second of the period; two just outside it.
    ev("j9", "started", utc(2025, 5, 7, 20, 59), user=1, model="m/c", price=250),
    ev("j9", "success", utc(2025, 5, 7, 20, 59, 59), user=1, model="m/c", price=250, duration=1000),
    *run("j10", utc(2025, 4, 30, 20, 50), "success", user=5, model="m/c", price=250, duration=1000),
    ev("j11", "success", utc(2025, 5, 7, 21), user=5, model="m/c", price=250, duration=1000),
]
EVENTS[1]["kie_cost_kopecks"] = 480                   # the caller's KIE cost wins over price / markup
EVENTS.append(dict(EVENTS[1]))                       # a duplicate (same job and status) counts once


def led(user, kind, amount, at, model=None):
    return {"user_id": user, "kind": kind, "amount_kopecks": amount, "created_at": at, "model_id": model}


LEDGER = [
    led(1, "bonus", 5000, utc(2025, 4, 20)),                     # before the period
    led(2, "bonus", 5000, utc(2025, 5, 1, 21, 30)),
    led(6, "bonus", 5000, utc(2025, 5, 5)),
    led(1, "topup", 50000, utc(2025, 5, 2, 10)),                 # 02.05
    led(2, "topup", 10000, utc(2025, 5, 3, 10)),                 # 03.05
    led(1, "referral", 1000, utc(2025, 5, 3, 10)),
    led(6, "topup", 20000, utc(2025, 5, 5, 22, 30)),             # 01:30 MSK 06.05
    led(6, "payment_refund", -20000, utc(2025, 5, 7, 10)),       # 07.05
    led(1, "topup", 99900, utc(2025, 5, 7, 21)),                 # after the period
    led(5, "adjust", 700, utc(2025, 5, 6)),
    led(1, "charge", -1000, utc(2025, 5, 1, 10), "m/a"),
    led(1, "charge", -1000, utc(2025, 5, 1, 22), "m/a"),
    led(2, "charge", -1000, utc(2025, 5, 2, 12), "m/a"),
    led(2, "refund", 1000, utc(2025, 5, 2, 12, 1), "m/a"),
    led(2, "charge", -301, utc(2025, 5, 3, 9), "m/b"),
    led(6, "charge", -301, utc(2025, 5, 4, 9), "m/b"),
    led(6, "refund", 301, utc(2025, 5, 4, 9, 1), "m/b"),
    led(6, "charge", -301, utc(2025, 5, 5, 9), "m/b"),
    led(6, "refund", 301, utc(2025, 5, 5, 9, 1), "m/b"),
    led(1, "charge", -250, utc(2025, 5, 7, 20, 59), "m/c"),
]


@pytest.fixture(scope="module")
def stats() -> PeriodStats:
    return period_stats(USERS, EVENTS, LEDGER, START, END, markup=MARKUP)


def test_kie_cost_divides_by_markup_rounding_half_up():
    assert kie_cost(1000, Decimal("2")) == 500
    assert kie_cost(301, Decimal("2")) == 151      # 150.5
    assert kie_cost(5, Decimal("2")) == 3          # 2.5
    assert kie_cost(1000, Decimal("1.5")) == 667   # 666.67
    assert kie_cost(1000, "3") == 333
    with pytest.raises(ValueError):
        kie_cost(100, Decimal("0"))


def test_users(stats):
    assert stats.new_users == 2                    # 2 and 6; 3 came at 23:59 MSK before, 4 at 00:00 MSK after
    assert stats.active_users == 4                 # 1, 2, 6 by last_seen; 3 by an event


def test_generations_by_status(stats):
    g = stats.generations
    assert (g.started, g.success, g.failed, g.timeout, g.not_run) == (8, 5, 3, 1, 1)
    assert (stats.free_generations, stats.paid_generations) == (1, 4)


def test_models_sorted_by_volume_with_success_rate(stats):
    assert [(m.model_id, m.runs, m.success, m.failed, m.timeout, m.not_run) for m in stats.models] == [
        ("m/a", 4, 3, 1, 0, 1), ("m/b", 3, 1, 1, 1, 0), ("m/c", 1, 1, 0, 0, 0)]
    assert [m.success_rate for m in stats.models] == [0.75, pytest.approx(1 / 3), 1.0]
    assert [m.charged_kopecks for m in stats.models] == [2000, 301, 250]
    assert [m.kie_cost_kopecks for m in stats.models] == [480 + 500 + 500, 151, 125]
    assert ModelStats("x").success_rate is None


def test_money(stats):
    assert (stats.topups_kopecks, stats.payment_refunds_kopecks, stats.revenue_kopecks) == (80000, 20000, 60000)
    assert (stats.charges_kopecks, stats.refunds_kopecks, stats.charged_kopecks) == (4153, 1602, 2551)
    assert stats.kie_spend_paid_kopecks == 480 + 500 + 151 + 125 == 1256
    assert stats.kie_spend_free_kopecks == 500
    assert stats.kie_spend_kopecks == 1756 and stats.kie_cost_missing == 0
    assert stats.margin_kopecks == 2551 - 1256 == 1295
    assert stats.margin_after_free_kopecks == 2551 - 1756
    assert (stats.bonuses_kopecks, stats.referral_kopecks, stats.adjust_kopecks) == (10000, 1000, 700)
    assert stats.paying_users == 3                                # 1, 2, 6 (6 was refunded in full: still paid)
    assert stats.avg_spend_per_paying_kopecks == 850              # 2551 / 3 = 850.33


def test_daily_series_uses_moscow_days(stats):
    assert [d.day for d in stats.days] == [date(2025, 5, d) for d in range(1, 8)]
    assert [(d.success, d.failed) for d in stats.days] == [(2, 0), (1, 1), (1, 0), (0, 1), (0, 1), (0, 0), (1, 0)]
    assert [d.revenue_kopecks for d in stats.days] == [0, 50000, 10000, 0, 0, 20000, -20000]


def test_missing_kie_cost_without_markup_is_counted_not_guessed():
    s = period_stats([], EVENTS, [], START, END)
    assert s.kie_cost_missing == 4 and s.kie_spend_kopecks == 480


def test_period_days_edges():
    assert period_days(START, START) == []
    assert period_days(utc(2025, 5, 1, 20), utc(2025, 5, 1, 22)) == [date(2025, 5, 1), date(2025, 5, 2)]
    empty = period_stats([], [], [], START, START)
    assert empty.days == [] and empty.models == [] and empty.avg_spend_per_paying_kopecks == 0


def test_model_health_window_rate_and_median():
    now = utc(2025, 5, 8)
    health = model_health(EVENTS, timedelta(days=7), now=now)
    by_id = {h.model_id: h for h in health}
    # The window [01.05 00:00 UTC, 08.05 00:00 UTC] drops j3 (30.04 21:00 UTC) and j10, keeps j11.
    a = by_id["m/a"]
    assert (a.success, a.failed, a.timeout, a.runs) == (2, 1, 0, 3)
    assert a.success_rate == pytest.approx(2 / 3) and a.median_duration_ms == 5000
    assert a.last_error_code == "GENERATION_FAILED"            # INSUFFICIENT_FUNDS is not a model failure
    b = by_id["m/b"]
    assert b.median_duration_ms == 20000 and b.last_error_code == "PROVIDER_REJECTED"
    assert by_id["m/c"].success == 2 and by_id["m/c"].median_duration_ms == 1000
    assert [h.model_id for h in health] == ["m/a", "m/b", "m/c"]
    assert model_health(EVENTS, timedelta(hours=1), now=utc(2030, 1, 1)) == []


def test_render_table_ru_and_en(stats):
    ru, en = render_table(stats, "ru"), render_table(stats, "en")
    for text in (ru, en):
        assert text.startswith("<pre>") and text.endswith("</pre>") and len(text) <= 4096
    assert "600 ₽" in ru and "25,51 ₽" in ru and "12,95 ₽" in ru and "8,50 ₽" in ru
    assert "₽600" in en and "₽25.51" in en and "₽12.95" in en and "₽8.50" in en  # money in each language's way
    for text in (ru, en):
        assert "75%" in text and "33%" in text and "01.05.2025 – 07.05.2025" in text
    assert "Статистика" in ru and "выручка" in ru and "расходы KIE" in ru
    assert "Statistics" in en and "revenue" in en and "KIE spend" in en


@pytest.mark.parametrize("lang,more", [("ru", "…и ещё 45"), ("en", "…and 45 more")])
def test_render_table_truncates_models_and_fits(lang, more):
    models = [ModelStats(f"<vendor>/a-very-long-model-name-number-{i:03d}", success=100 - i, failed=i)
              for i in range(60)]
    big = PeriodStats(start=START, end=END, models=models, revenue_kopecks=-123_456_789_012,
                      charged_kopecks=987_654_321_098, kie_cost_missing=3)
    text = render_table(big, lang)
    assert len(text) <= 4096 and more in text
    assert "&lt;vendor&gt;" in text and "<vendor>" not in text
    assert text.count("\n") < 80


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG" and img.size == (WIDTH, HEIGHT) == (1000, 560)
    return img


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_render_chart(stats, lang):
    img = _png(render_chart(stats, lang)).convert("RGB")
    colours = set(img.getdata())
    assert (67, 160, 71) in colours and (229, 57, 53) in colours and (30, 100, 200) in colours


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_render_chart_without_data(lang):
    _png(render_chart(period_stats([], [], [], START, START), lang))
    zeros = period_stats(USERS, [], [], START, END)
    assert len(zeros.days) == 7
    img = _png(render_chart(zeros, lang)).convert("RGB")
    assert (67, 160, 71) not in set(img.getdata())


def test_nice_ticks():
    assert nice_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert nice_ticks(0, 0) == [0, 1, 2, 3, 4, 5]
    assert nice_ticks(-20000, 50000, min_step=100) == [-20000, 0, 20000, 40000, 60000]
    assert nice_ticks(0, 3, min_step=100)[-1] == 100
