"""Ban, unban, maintenance, a model off or on, and a broadcast: the button asks for a reason (typed; "without a reason"
where none is needed), then for a confirmation; the confirmed action runs once, is logged with its reason,
and the screen of its target follows (shared/app/admin.py `propose`, `with_reason`, `carry_out`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import admin
from shared.domain.admin import Outcome, Pending
from shared.domain.users import User
from shared.telegram import reply
from shared.telegram.admin import answered, lookup, panel
from shared.ui.admin import confirm

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def _name(c: "Container", pending: Pending, lang: str) -> str:
    """The target as the admin knows it: a user's id and @username, a model's name."""
    if pending.action == "broadcast":
        return str(await c.store.users.count())
    if pending.action in ("ban", "unban"):
        target = await c.store.users.get(int(pending.target))
        return f"{pending.target} @{target.username}" if target and target.username else pending.target
    model = c.catalog.get(pending.target) if pending.action.startswith("model_") else None
    return model.name.get(lang) if model else pending.target


async def propose(c: "Container", update: Update, user: User, action: str, target: str, back: int = 0) -> None:
    """The action waits for its reason (typed, or "without a reason" where none is needed)."""
    pending = await admin.propose(c, user, action, target, back)
    await c.store.users.set_fields(user.user_id, awaiting="admin_reason")
    await reply.send(update, confirm.ask_reason(user.language, pending, await _name(c, pending, user.language)))


async def ban(c: "Container", update: Update, user: User, user_id: str) -> None:
    await propose(c, update, user, "ban", user_id)


async def unban(c: "Container", update: Update, user: User, user_id: str) -> None:
    await propose(c, update, user, "unban", user_id)


async def maintenance(c: "Container", update: Update, user: User) -> None:
    on = (await c.store.admin.runtime())["maintenance"]
    await propose(c, update, user, "maint_off" if on else "maint_on", "runtime")


async def toggle_model(c: "Container", update: Update, user: User, index: str, page: str = "0") -> None:
    """The button names the model by its place in the list; the action names it by its id from here on."""
    if int(index) >= len(c.catalog.models):
        await reply.send(update, confirm.outcome(user.language, Outcome.STALE, None, ""))
        return
    model = c.catalog.models[int(index)]
    off = model.id in (await c.store.admin.runtime())["disabled_models"]
    await propose(c, update, user, "model_on" if off else "model_off", model.id, int(page))


async def _confirm(c: "Container", update: Update, user: User, pending: Pending | None) -> None:
    if pending is None:  # a required reason missing, or nothing waits any more
        await reply.send(update, confirm.outcome(user.language, Outcome.STALE, None, ""))
        return
    await reply.send(update, confirm.confirm(user.language, pending, await _name(c, pending, user.language)))


async def reason(c: "Container", update: Update, user: User) -> None:
    """The typed reason of the waiting action."""
    await answered(c, user)
    text = (update.effective_message.text or "").strip()
    await _confirm(c, update, user, await admin.with_reason(c, user, text) if text else None)


async def no_reason(c: "Container", update: Update, user: User, pending_id: str) -> None:
    await answered(c, user)
    await _confirm(c, update, user, await admin.with_reason(c, user, "", pending_id))


async def drop(c: "Container", update: Update, user: User) -> None:
    await answered(c, user)
    await admin.drop(c, user)
    await panel.menu(c, update, user)


async def confirmed(c: "Container", update: Update, user: User, pending_id: str) -> None:
    result, pending = await admin.carry_out(c, user, pending_id)
    if result != Outcome.DONE or pending is None:
        name = await _name(c, pending, user.language) if pending else ""
        await reply.show(update, confirm.outcome(user.language, result, pending, name))
        return
    if pending.action == "broadcast":
        return  # its progress message follows
    if pending.action in ("ban", "unban"):
        await lookup.user(c, update, user, pending.target)
    elif pending.action.startswith("maint_"):
        await panel.menu(c, update, user)
    else:
        await panel.models(c, update, user, str(pending.back))
