"""Model health and honest waiting as users see them: the mark on catalog buttons and cards, the typical
time ("обычно ~40 сек"), a healthy alternative for a degraded model, and the "in progress" message with the
time gone by and the time expected."""
from __future__ import annotations

from typing import Any

from shared.catalog import ModelSpec
from shared.domain.health import MARKS
from shared.domain.screen import Button, Screen
from shared.ui import callbacks as cb
from shared.ui.format import esc
from shared.ui.texts import t

LONGER = 2  # past this many typical times the message says it is taking longer than usual


def duration(lang: str, seconds: float) -> str:
    """40 сек · 2 мин · 2 мин 10 сек."""
    whole = max(1, round(seconds))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return t(lang, "dur_s", s=rest)
    return t(lang, "dur_m", m=minutes) if not rest else t(lang, "dur_ms", m=minutes, s=rest)


def mark(entry: dict[str, Any] | None) -> str:
    """'🟢 ' before a model's name, or nothing when we know too little."""
    return MARKS[entry["mark"]] + " " if entry and entry.get("mark") in MARKS else ""


def card_lines(lang: str, entry: dict[str, Any] | None, alternative: ModelSpec | None) -> str:
    """The card's health line: the mark and what it means, the typical time, a healthy alternative."""
    if not entry:
        return ""
    parts = [t(lang, f"health_{entry['mark']}") if entry.get("mark") else ""]
    if entry.get("typical_s"):
        parts.append(t(lang, "health_typical", time=duration(lang, entry["typical_s"])))
    line = " · ".join(p for p in parts if p)
    if alternative is not None:
        line += "\n" + t(lang, "health_alternative", name=esc(alternative.name.get(lang)))
    return line


def alternative_button(lang: str, alternative: ModelSpec | None) -> list[list[Button]]:
    if alternative is None:
        return []
    return [[(t(lang, "btn_health_alternative", name=alternative.name.get(lang))[:60],
              cb.make(cb.MODEL, alternative.id))]]


def eta(lang: str, output: str, typical_s: float | None) -> str:
    """The started line's expected time: this model's typical one, or the generic one of its output."""
    return t(lang, "eta_typical", time=duration(lang, typical_s)) if typical_s else t(lang, f"eta_{output}")


def waiting(lang: str, model: ModelSpec | None, request_id: str, elapsed_s: float, typical_s: float | None) -> Screen:
    """The status message while the worker waits: how long it has been, what is usual for this model."""
    name = esc(model.name.get(lang)) if model else ""
    elapsed = duration(lang, elapsed_s)
    if typical_s:
        text = t(lang, "waiting", name=name, elapsed=elapsed, typical=duration(lang, typical_s), rq=request_id)
        if elapsed_s > LONGER * typical_s:
            text += "\n" + t(lang, "waiting_longer")
    else:
        text = t(lang, "waiting_no_eta", name=name, elapsed=elapsed, rq=request_id)
    return Screen(text)
