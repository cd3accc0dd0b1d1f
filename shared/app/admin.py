"""The admin panel's use cases: errors under a filter, a balance adjustment and runtime switches (each logged),
statistics, model health. The smoke test and broadcasts are shared/app/smoke.py and broadcast.py."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from shared.clients import telegram
from shared.domain.admin import (PENDING, REASON_MAX, Outcome, Pending, apply_filter, filter_period,
                                 parse_adjustment, pending_of, runtime_change)
from shared.domain.clock import MOSCOW, utcnow
from shared.domain.jobs import new_job_id
from shared.domain.money import Status
from shared.domain.stats import ModelHealth, PeriodStats, model_health, period_stats
from shared.domain.users import User
from shared.storage.users import Adjusted
from shared.ui import account

if TYPE_CHECKING:
    from shared.bootstrap import Container

HEALTH_WINDOW = timedelta(days=7)


async def failures(c: "Container", admin_id: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Failed and timed-out generations under the admin's filter, newest first, and the filter."""
    f = await c.store.admin.draft("filter", admin_id)
    start, end = filter_period(f)
    return apply_filter(await c.store.admin.failures(start, end), f), f


@dataclass(frozen=True)
class Adjustment:
    kopecks: int | None  # None: the text was not an adjustment
    result: Adjusted | None = None


async def adjust(c: "Container", admin: User, user_id: int, text: str) -> Adjustment:
    """A typed `+100 reason` applied once; the balance it checks is read inside the adjustment's transaction,
    so a charge committing meanwhile counts."""
    parsed = parse_adjustment(text)
    if parsed is None:
        return Adjustment(None)
    kopecks, note = parsed
    result = await c.store.users.adjust(user_id, kopecks, f"adjust_{admin.user_id}_{new_job_id()}",
                                        ref=f"admin:{admin.user_id}", note=note)
    if result.status == Status.APPLIED:
        await c.store.admin.log_action(admin.user_id, "adjust_balance", f"user:{user_id}", result.balance_before,
                                       result.balance_after, reason=note)
        await tell_adjusted(c, user_id, kopecks, note, result.balance_after)
    return Adjustment(kopecks, result)


async def tell_adjusted(c: "Container", user_id: int, kopecks: int, reason: str, balance: int) -> None:
    """The user hears of the change with the admin's reason, after it committed; one attempt (a lost notice
    must not move or repeat the money: it is tied to the entry that was applied once)."""
    target = await c.store.users.get(user_id)
    lang = target.language if target else "ru"
    await telegram.send(c.bot, user_id, account.adjusted_by_admin(lang, kopecks, reason, balance), retry=False)


async def switch(c: "Container", admin: User, action: str,
                 change: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any] | None],
                 reason: str | None) -> dict[str, Any] | None:
    """Flip a runtime switch (logged with the reason; None when there was nothing to change); this instance
    sees it at once, others within SETTINGS_CACHE_SECONDS."""
    new = await c.store.admin.change_runtime(admin.user_id, action, change, reason=reason)
    c.forget_cached()
    return new


# --- actions that wait for a reason and a confirmation: ban, unban, maintenance, a model off or on ----------

async def propose(c: "Container", admin: User, action: str, target: str, back: int = 0) -> Pending:
    """The action the admin pressed, waiting for its reason; it replaces any earlier one of theirs."""
    pending = Pending(new_job_id(), action, target, back=back)
    await c.store.admin.save_draft(PENDING, admin.user_id, asdict(pending))
    return pending


async def with_reason(c: "Container", admin: User, reason: str, pending_id: str | None = None) -> Pending | None:
    """The waiting action with its reason, under a new id (a confirmation shown before it is void); None when
    nothing waits (or not the action `pending_id` names) or a reason is required and missing."""
    doc = await c.store.admin.draft(PENDING, admin.user_id)
    if not doc.get("id") or (pending_id is not None and doc["id"] != pending_id):
        return None
    pending = replace(pending_of(doc), id=new_job_id(), reason=reason.strip()[:REASON_MAX])
    if not pending.ready:
        return None
    await c.store.admin.save_draft(PENDING, admin.user_id, asdict(pending))
    return pending


async def drop(c: "Container", admin: User) -> None:
    await c.store.admin.save_draft(PENDING, admin.user_id, {})


async def carry_out(c: "Container", admin: User, pending_id: str) -> tuple[Outcome, Pending | None]:
    """The confirmed action, once: the button of a used or replaced confirmation does nothing (STALE), and
    an action whose target changed meanwhile (banned by another admin, the switch flipped) neither (CHANGED)."""
    doc = await c.store.admin.take_draft(PENDING, admin.user_id, pending_id)
    if doc is None or not pending_of(doc).ready:
        return Outcome.STALE, None
    pending = pending_of(doc)
    if pending.action == "broadcast":
        from shared.app import broadcast  # the admin's path only

        sent = await broadcast.send_previewed(c, admin, admin.user_id, pending.target, pending.reason)
        return (Outcome.DONE, pending) if sent else (Outcome.STALE, None)
    if pending.action in ("ban", "unban"):
        changed = await c.store.admin.set_banned(admin.user_id, int(pending.target), pending.action == "ban",
                                                 reason=pending.reason)
        if changed is None:  # no such user
            return Outcome.STALE, None
        return (Outcome.DONE if changed else Outcome.CHANGED), pending
    action, change = runtime_change(pending)  # checked against the stored switches inside the transaction
    if await switch(c, admin, action, change, pending.reason) is None:
        return Outcome.CHANGED, pending
    return Outcome.DONE, pending


async def statistics(c: "Container", days: int) -> PeriodStats:
    """The last `days` Moscow days, today included."""
    end = utcnow()
    start = (end.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
             - timedelta(days=days - 1)).astimezone(timezone.utc)
    found = await c.store.admin.period(start, end)
    users = {u["user_id"]: u for u in found["seen"] + found["created"]}
    return period_stats(list(users.values()), found["events"], found["ledger"], start, end,
                        markup=c.settings.pricing_markup)


async def health(c: "Container") -> dict[str, ModelHealth]:
    events = await c.store.admin.events_since(utcnow() - HEALTH_WINDOW)
    return {h.model_id: h for h in model_health(events, HEALTH_WINDOW)}
