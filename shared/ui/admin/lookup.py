"""Admin lookups in the admin's language: generation errors (with a filter and a CSV), a job by its RQ code,
a user with their money and generations, and the replies to a balance adjustment."""
from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

from shared.domain.jobs import Job
from shared.domain.pricing import format_rub
from shared.domain.screen import Screen
from shared.domain.users import User
from shared.ui import callbacks as cb
from shared.ui.admin.panel import PAGE, back, pager
from shared.ui.format import esc_clip, when
from shared.ui.texts import t

CSV_COLUMNS = ["created_at", "user_id", "model_id", "status", "error_code", "error_message", "request_id",
               "task_id", "price_kopecks", "is_free_applied"]


def filter_text(lang: str, f: dict[str, Any]) -> str:
    shown = {k: v for k, v in f.items() if k in ("user_id", "model_id", "from", "to")}
    return t(lang, "adm_filters", text=html.escape(json.dumps(shown, ensure_ascii=False))) if shown else ""


def errors(lang: str, rows: list[dict[str, Any]], f: dict[str, Any], page: int) -> Screen:
    """A page of failed and timed-out generations, newest first, under the admin's filter."""
    nav = pager(cb.ADM_ERRORS, page, len(rows))
    buttons = ([nav] if nav else []) + [[(t(lang, "adm_btn_filter"), cb.ADM_FILTER),
                                         (t(lang, "adm_btn_csv"), cb.ADM_CSV)], *back(lang)]
    if not rows:
        return Screen(t(lang, "adm_errors_none", filters=filter_text(lang, f)), buttons)
    lines = "\n".join(t(lang, "adm_error_line", date=when(r["created_at"]), user=r.get("user_id"),
                        model=html.escape(str(r.get("model_id"))), code=r.get("error_code") or "?",
                        rq=r.get("request_id") or "", message=esc_clip(r.get("error_message") or "", 120))
                      for r in rows[page * PAGE:(page + 1) * PAGE])
    return Screen(t(lang, "adm_errors", count=len(rows), filters=filter_text(lang, f), lines=lines), buttons)


def failures_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r["created_at"].isoformat(), *(r.get(column) for column in CSV_COLUMNS[1:])])
    return out.getvalue().encode("utf-8")


def _money_lines(entries: list[dict[str, Any]], lang: str) -> str:
    return "\n".join(f"{when(e['created_at'])} {e['kind']} {format_rub(e['amount_kopecks'], lang)}" for e in entries) or "—"


def job(lang: str, request_id: str, found: Job, events: list[dict[str, Any]], ledger: list[dict[str, Any]]) -> Screen:
    """Everything about one generation: state, price, the provider's task, its history, events and money."""
    history = "\n".join(f"{when(h['at'])} {h['state']}" + (f" ({h['error']})" if h.get("error") else "")
                        for h in found.history)
    event_lines = "\n".join(f"{when(e['created_at'])} {e['status']}"
                            + (f" {e['duration_ms']} ms" if e.get("duration_ms") else "") for e in events) or "—"
    return Screen(t(lang, "adm_rq", rq=request_id, user=found.user_id, model=html.escape(found.model_id),
                    state=found.state, price=format_rub(found.price_kopecks, lang),
                    free=t(lang, "adm_free_mark") if found.is_free else "", task=esc_clip(found.kie_task_id or "—", 100),
                    error=esc_clip(f"{found.error_code or '—'} {found.error_message or ''}", 600),
                    inputs=esc_clip(json.dumps(found.inputs, ensure_ascii=False, indent=1), 1500),
                    history=history or "—", events=event_lines, ledger=_money_lines(ledger, lang)),
                  [[(t(lang, "adm_btn_user"), cb.make(cb.ADM_USER, found.user_id))], *back(lang)])


def user(lang: str, target: User, ledger: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> Screen:
    """A user: balance, recent operations and generations, with the credit and (un)ban buttons."""
    job_lines = "\n".join(f"{when(j['created_at'])} {html.escape(j['model_id'])} {j['state']} "
                          f"<code>{j.get('request_id') or ''}</code>" for j in jobs) or "—"
    ban = ((t(lang, "adm_btn_unban"), cb.make(cb.ADM_UNBAN, target.user_id)) if target.banned
           else (t(lang, "adm_btn_ban"), cb.make(cb.ADM_BAN, target.user_id)))
    return Screen(t(lang, "adm_user", name=html.escape(target.first_name or target.username or ""),
                    user=target.user_id, banned=t(lang, "adm_banned_mark") if target.banned else "",
                    language=target.language, created=when(target.created_at),
                    balance=format_rub(target.balance_kopecks, lang), ledger=_money_lines(ledger, lang), jobs=job_lines),
                  [[(t(lang, "adm_btn_credit"), cb.make(cb.ADM_ADJUST, target.user_id)), ban], *back(lang)])


def not_found(lang: str, key: str, query: object) -> Screen:
    """adm_rq_none (rq=) or adm_user_none (query=)."""
    return Screen(t(lang, key, **{"rq" if key == "adm_rq_none" else "query": esc_clip(query, 100)}))


def adjusted(lang: str, user_id: int, kopecks: int, balance: int) -> Screen:
    return Screen(t(lang, "adm_adjust_done", amount=format_rub(kopecks, lang), user=user_id, balance=format_rub(balance, lang)))


def adjust_refused(lang: str, balance: int) -> Screen:
    return Screen(t(lang, "adm_adjust_negative", balance=format_rub(balance, lang)))
