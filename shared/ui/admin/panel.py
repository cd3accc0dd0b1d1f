"""The admin panel's screens in the admin's language: the menu, statistics, models, the KIE balance, the
broadcast preview, the action log. Pure: the handlers in shared/telegram/admin/ fetch, these render."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.catalog import ModelSpec
from shared.domain.pricing import format_decimal
from shared.domain.screen import Button, Screen
from shared.domain.stats import ModelHealth, PeriodStats
from shared.ui import callbacks as cb
from shared.ui.admin.stats import render_table
from shared.ui.format import esc, esc_clip, fit_lines, number, when
from shared.ui.texts import t

PAGE = 10  # rows of a paged admin list
MAX_TEXT = 4096  # Telegram's limit for a message
PERIODS = {"1": "adm_btn_today", "7": "adm_btn_7", "30": "adm_btn_30"}


def back(lang: str) -> list[list[Button]]:
    return [[(t(lang, "adm_btn_back"), cb.ADM_MENU)]]


def pager(verb: str, page: int, total: int) -> list[Button]:
    """◀️ ▶️ around page `page` of `total` rows (empty when one page holds them)."""
    nav = []
    if page > 0:
        nav.append(("◀️", cb.make(verb, page - 1)))
    if (page + 1) * PAGE < total:
        nav.append(("▶️", cb.make(verb, page + 1)))
    return nav


def menu(lang: str, maintenance: bool) -> Screen:
    state = t(lang, "adm_on" if maintenance else "adm_off")
    rows = [
        [(t(lang, "adm_btn_errors"), cb.make(cb.ADM_ERRORS, 0)), (t(lang, "adm_btn_rq"), cb.ADM_RQ)],
        [(t(lang, "adm_btn_user"), cb.ADM_FIND_USER), (t(lang, "adm_btn_stats"), cb.make(cb.ADM_STATS, 1))],
        [(t(lang, "adm_btn_models"), cb.ADM_MODELS), (t(lang, "adm_btn_smoke"), cb.ADM_SMOKE)],
        [(t(lang, "adm_btn_kie"), cb.ADM_KIE), (t(lang, "adm_btn_broadcast"), cb.ADM_BROADCAST)],
        [(t(lang, "adm_btn_maint", state=state), cb.ADM_MAINTENANCE), (t(lang, "adm_btn_log"), cb.ADM_LOG)],
        [(t(lang, "adm_btn_sync"), cb.ADM_SYNC)],
    ]
    return Screen(t(lang, "adm_menu", maintenance=state), rows)


def stats(lang: str, days: str, result: PeriodStats) -> Screen:
    """The table with its period buttons (the chart goes as a photo after it)."""
    table = render_table(result, lang)  # at most MAX_TEXT, with its own title line
    title = t(lang, "adm_stats_title", period=t(lang, PERIODS[days]) if days in PERIODS else days)
    text = f"{title}\n{table}" if len(title) + 1 + len(table) <= MAX_TEXT else table
    buttons = [[(t(lang, "adm_btn_today"), cb.make(cb.ADM_STATS, 1)), (t(lang, "adm_btn_7"), cb.make(cb.ADM_STATS, 7)),
                (t(lang, "adm_btn_30"), cb.make(cb.ADM_STATS, 30))], *back(lang)]
    return Screen(text, buttons)


def models(lang: str, catalog: list[ModelSpec], health: dict[str, ModelHealth], disabled: set[str],
           page: int, delisted: frozenset[str] | set[str] = frozenset()) -> Screen:
    """A page of models: on or off, success rate and median time over 7 days, a button to switch each."""
    lines, rows = [], []
    for index, m in list(enumerate(catalog))[page * PAGE:(page + 1) * PAGE]:
        h = health.get(m.id)
        rate = f"{h.success_rate:.0%}" if h and h.success_rate is not None else "—"
        median = t(lang, "adm_seconds", seconds=format_decimal(h.median_duration_ms / 1000, lang)) if h and h.median_duration_ms else "—"
        off = m.id in disabled
        # Retired in the catalog or delisted by the provider: not sold whatever the admin switch says.
        state = (t(lang, "adm_model_retired") if m.retired else t(lang, "adm_model_delisted") if m.id in delisted
                 else "⛔" if off else "✅")
        lines.append(t(lang, "adm_model_line", state=state, name=esc(m.name.get(lang)), rate=rate,
                       median=median, count=h.runs if h else 0))
        if not m.retired:  # a switch that could change nothing is not offered (a delisted model keeps it)
            rows.append([(t(lang, "adm_btn_model_on" if off else "adm_btn_model_off", name=m.name.get(lang))[:60],
                          cb.make(cb.ADM_TOGGLE, index, page))])
    nav = pager(cb.ADM_MODELS, page, len(catalog))
    return Screen(t(lang, "adm_models", lines="\n".join(lines)), rows + ([nav] if nav else []) + back(lang))


def kie(lang: str, credits: float, limit: float) -> Screen:
    usd = Decimal(str(credits)) * Decimal("0.005")  # a KIE credit is half a US cent
    return Screen(t(lang, "adm_kie", credits=number(credits, lang), usd=format_decimal(usd, lang, 2, trim=False),
                    limit=number(limit, lang)), back(lang))


def kie_error(lang: str, error: object) -> Screen:
    return Screen(t(lang, "adm_kie_error", error=esc_clip(error, 500)))


def broadcast_preview(lang: str, count: int, text: str, preview_id: str) -> Screen:
    """The admin's own HTML as all users will see it, with the button that sends this text (and no other)."""
    return Screen(t(lang, "adm_broadcast_preview", count=count, text=text),
                  [[(t(lang, "adm_btn_send"), cb.make(cb.ADM_SEND, preview_id))], *back(lang)])


def action_log(lang: str, rows: list[dict[str, Any]]) -> Screen:
    if not rows:
        return Screen(t(lang, "adm_log_empty"), back(lang))
    lines = [t(lang, "adm_log_line", date=when(r["at"]), admin=r["admin_id"], action=esc_clip(r["action"], 100),
               target=esc_clip(r["target"], 100), old=esc_clip(r.get("old"), 60), new=esc_clip(r.get("new"), 60))
             + (t(lang, "adm_log_reason", reason=esc_clip(r["reason"], 200)) if r.get("reason") else "")
             for r in rows]
    room = MAX_TEXT - len(t(lang, "adm_log", lines=""))
    return Screen(t(lang, "adm_log", lines=fit_lines(lines, room)), back(lang))
