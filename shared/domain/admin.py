"""What admins type, read: an error filter, a balance adjustment, an action waiting for its reason and confirmation."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Callable

from shared.domain.clock import MOSCOW

FILTER = re.compile(r"(user|model|from|to)=(\S+)")
ADJUSTMENT = re.compile(r"([+-])\s*(\d+(?:[.,]\d{1,2})?)\s+(.+)")


def parse_filter(text: str) -> dict[str, Any] | None:
    """`user=123 model=z-image from=2026-11-01 to=2026-11-21` -> filters; '-' clears; None if unreadable."""
    text = text.strip()
    if text == "-":
        return {}
    found = dict(FILTER.findall(text))
    if not found or FILTER.sub("", text).strip():
        return None
    out: dict[str, Any] = {}
    try:
        if "user" in found:
            out["user_id"] = int(found["user"])
        if "model" in found:
            out["model_id"] = found["model"]
        for key in ("from", "to"):
            if key in found:
                day = datetime.strptime(found[key], "%Y-%m-%d").replace(tzinfo=MOSCOW)
                out[key] = (day if key == "from" else day + timedelta(days=1)).astimezone(timezone.utc).isoformat()
    except ValueError:
        return None
    return out


def apply_filter(rows: list[dict[str, Any]], f: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in rows if ("user_id" not in f or r.get("user_id") == f["user_id"])
            and ("model_id" not in f or r.get("model_id") == f["model_id"])]


def filter_period(f: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    return (datetime.fromisoformat(f["from"]) if f.get("from") else None,
            datetime.fromisoformat(f["to"]) if f.get("to") else None)


def parse_adjustment(text: str) -> tuple[int, str] | None:
    """`+100 compensation` / `-50,5 wrong credit` -> (kopecks, reason); None if unreadable."""
    m = ADJUSTMENT.fullmatch(text)
    if not m:
        return None
    try:
        kopecks = int(Decimal(m.group(2).replace(",", ".")) * 100)
    except InvalidOperation:
        return None
    return kopecks * (1 if m.group(1) == "+" else -1), m.group(3)[:200]


# --- actions that ask for a reason and a confirmation ------------------------------------------------------

PENDING = "pending"  # the admin draft that holds the waiting action
REASON_MAX = 300
ACTIONS = ("ban", "unban", "maint_on", "maint_off", "model_off", "model_on")
NEEDS_REASON = frozenset({"ban", "maint_on", "model_off"})  # the others may go "without a reason"


class Outcome(StrEnum):
    DONE = "done"
    STALE = "stale"  # the confirmation was used already, or replaced by a newer one
    CHANGED = "changed"  # the target is already as the action would leave it: nothing done


@dataclass(frozen=True)
class Pending:
    """An admin's action between the button and its confirmation. `target`: a user id, a model id, or
    "runtime"; `back`: the models page to return to; `reason`: None until given ("" for none)."""

    id: str
    action: str
    target: str
    reason: str | None = None
    back: int = 0

    @property
    def ready(self) -> bool:
        """May be confirmed: it has a reason, or needs none."""
        return self.reason is not None and (bool(self.reason) or self.action not in NEEDS_REASON)


def runtime_change(pending: Pending) -> tuple[str, Callable[[dict[str, Any]], dict[str, Any] | None]]:
    """The action log's name of a maintenance or model switch, and the change it makes to the stored switches
    (None when they are already as it would leave them: another admin was first)."""
    if pending.action in ("maint_on", "maint_off"):
        want = pending.action == "maint_on"
        return "maintenance", lambda old: None if bool(old.get("maintenance")) == want else {"maintenance": want}
    off = pending.action == "model_off"

    def models(old: dict[str, Any]) -> dict[str, Any] | None:
        disabled = set(old.get("disabled_models") or [])
        return None if (pending.target in disabled) == off else {"disabled_models": sorted(disabled ^ {pending.target})}

    return f"toggle_model:{pending.target}", models


def pending_of(doc: dict[str, Any]) -> Pending:
    return Pending(doc["id"], doc["action"], doc["target"], doc.get("reason"), int(doc.get("back") or 0))
