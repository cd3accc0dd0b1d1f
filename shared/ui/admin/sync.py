"""The catalog sync for admins: the short summary a run sends when something changed, and the screen with
the last run's details (/admin → 🔄 Catalog sync). Model and field names are the provider's, shown as code."""
from __future__ import annotations

from typing import Any

from shared.domain.screen import Screen
from shared.ui import callbacks as cb
from shared.ui.format import esc, fit_lines, when
from shared.ui.texts import t

MAX_TEXT = 4096
LISTED = 8  # names shown in one line of the summary; the rest are counted


def _names(lang: str, names: list[str]) -> str:
    shown = ", ".join(f"<code>{esc(n)}</code>" for n in names[:LISTED])
    return shown + (t(lang, "adm_sync_more", n=len(names) - LISTED) if len(names) > LISTED else "")


def _field_line(lang: str, drift: dict[str, Any]) -> str:
    parts = [f"{esc(old)} → {esc(new)}" for old, new in drift["renamed"].items()]
    parts += [t(lang, "adm_sync_field_missing", names=", ".join(map(esc, drift["missing"])))] if drift["missing"] else []
    parts += [t(lang, "adm_sync_field_new", names=", ".join(map(esc, drift["new"])))] if drift["new"] else []
    parts += [_change(c) for c in drift["changed"]]
    return f"• <code>{esc(drift['model'])}</code>: " + "; ".join(parts)


def _change(change: dict[str, Any]) -> str:
    """'mode: +spicy' (the provider has values we do not offer), 'ratio: −21:9' (values we offer that it no
    longer takes), 'prompt: max_length 500 → 5000'."""
    field, what = esc(change["field"]), change["what"]
    if what == "values added":
        return f"{field}: +" + ", +".join(map(esc, change["theirs"]))
    if what == "values removed":
        return f"{field}: −" + ", −".join(map(esc, change["ours"]))
    return f"{field}: {esc(what)} {esc(change['ours'])} → {esc(change['theirs'])}"


def _price_line(price: dict[str, Any]) -> str:
    moves = [f"{esc(c['key'])} ${c['old_usd'] or '—'} → ${c['new_usd'] or '—'}" for c in price["changes"]]
    lines = "".join(f"\n   <code>{esc(line)}</code>" for line in price["proposed_lines"])
    return f"• <code>{esc(price['model'])}</code>: " + "; ".join(moves) + lines


def _lines(lang: str, report: dict[str, Any]) -> list[str]:
    lines = []
    if not report.get("ok", True):
        lines.append(t(lang, "adm_sync_failed", error=esc(report.get("error", ""))))
    if report.get("trusted") is False:
        lines.append(t(lang, "adm_sync_untrusted"))
    for key in ("gone", "back", "new", "retired_listed"):
        if report.get(key):
            lines.append(t(lang, f"adm_sync_{key}", count=len(report[key]), names=_names(lang, report[key])))
    if report.get("fields"):
        lines.append(t(lang, "adm_sync_fields", count=len(report["fields"])))
    if report.get("prices"):
        lines.append(t(lang, "adm_sync_prices", count=len(report["prices"])))
    return lines


def summary(lang: str, report: dict[str, Any]) -> Screen:
    """A few lines: what went, came back, is new; how many models' fields and prices moved."""
    return Screen(t(lang, "adm_sync_summary", lines="\n".join(_lines(lang, report))),
                  [[(t(lang, "adm_btn_sync"), cb.ADM_SYNC)]])


def details(lang: str, report: dict[str, Any] | None) -> Screen:
    """The last run in full (cut to one message): the summary lines, then each field and price change
    with the pricing-truth lines proposed for it."""
    buttons = [[(t(lang, "adm_btn_sync_run"), cb.ADM_SYNC_RUN)], [(t(lang, "adm_btn_back"), cb.ADM_MENU)]]
    if not report:
        return Screen(t(lang, "adm_sync_never"), buttons)
    head = t(lang, "adm_sync_head", at=when(report["finished_at"]), listed=report.get("listed_count", 0),
             calls=report.get("calls", 0), throttled=report.get("throttled", 0))
    lines = _lines(lang, report) or [t(lang, "adm_sync_nothing")]
    lines += [_field_line(lang, d) for d in report.get("fields", [])]
    lines += [_price_line(p) for p in report.get("prices", [])]
    return Screen(head + "\n" + fit_lines(lines, MAX_TEXT - len(head) - 1), buttons)


def started(lang: str) -> Screen:
    return Screen(t(lang, "adm_sync_started"))
