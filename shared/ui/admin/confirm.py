"""The admin's actions that ask for a reason and a confirmation (ban, unban, maintenance, a model off or on):
what the action is, the prompt for its reason, the confirmation, and what came of it. Pure."""
from __future__ import annotations

from shared.domain.admin import NEEDS_REASON, Outcome, Pending
from shared.domain.screen import Button, Screen
from shared.ui import callbacks as cb
from shared.ui.format import esc
from shared.ui.texts import t


def what(lang: str, pending: Pending, name: str) -> str:
    """One line naming the action and its target (`name`: the user or the model as the admin knows it)."""
    return t(lang, f"adm_what_{pending.action}", name=esc(name))


def _cancel(lang: str) -> list[Button]:
    return [(t(lang, "adm_btn_cancel_action"), cb.ADM_DROP)]


def ask_reason(lang: str, pending: Pending, name: str) -> Screen:
    rows: list[list[Button]] = []
    if pending.action not in NEEDS_REASON:
        rows.append([(t(lang, "adm_btn_no_reason"), cb.make(cb.ADM_NO_REASON, pending.id))])
    rows.append(_cancel(lang))
    key = "adm_reason_required" if pending.action in NEEDS_REASON else "adm_reason_optional"
    return Screen(t(lang, key, what=what(lang, pending, name)), rows)


def confirm(lang: str, pending: Pending, name: str) -> Screen:
    reason = esc(pending.reason) if pending.reason else t(lang, "adm_reason_none")
    return Screen(t(lang, "adm_confirm_action", what=what(lang, pending, name), reason=reason),
                  [[(t(lang, "adm_btn_confirm_action"), cb.make(cb.ADM_DO, pending.id))], _cancel(lang)])


def outcome(lang: str, result: Outcome, pending: Pending | None, name: str) -> Screen:
    """What came of a confirmation that did nothing (the screen of the target follows a done one)."""
    if result == Outcome.CHANGED and pending is not None:
        return Screen(t(lang, "adm_action_changed", what=what(lang, pending, name)))
    return Screen(t(lang, "adm_action_stale"))
