"""Admin lookups: generation errors (a filter, a CSV), a job by its RQ code, a user (balance adjustments, bans)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import admin
from shared.domain.admin import parse_filter
from shared.domain.clock import MOSCOW, utcnow
from shared.domain.money import Status
from shared.domain.users import User
from shared.telegram import reply
from shared.telegram.admin import answered, ask
from shared.ui.admin import lookup
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container


def typed(update: Update) -> str:
    return (update.effective_message.text or "").strip()


async def errors(c: "Container", update: Update, user: User, page: str = "0") -> None:
    rows, f = await admin.failures(c, user.user_id)
    await reply.show(update, lookup.errors(user.language, rows, f, int(page)))


async def ask_filter(c: "Container", update: Update, user: User) -> None:
    await ask(c, update, user, "filter", "adm_filter_prompt")


async def set_filter(c: "Container", update: Update, user: User) -> None:
    await answered(c, user)
    f = parse_filter(typed(update))
    if f is None:
        await reply.send(update, say(user.language, "adm_filter_bad"))
        return
    await c.store.admin.save_draft("filter", user.user_id, f)
    await errors(c, update, user)


async def errors_csv(c: "Container", update: Update, user: User) -> None:
    rows, _ = await admin.failures(c, user.user_id)
    stamp = utcnow().astimezone(MOSCOW).strftime("%Y%m%d-%H%M")
    await reply.document(update, lookup.failures_csv(rows), f"errors-{stamp}.csv", f"{len(rows)}")


async def ask_request(c: "Container", update: Update, user: User) -> None:
    await ask(c, update, user, "rq", "adm_rq_prompt")


async def request(c: "Container", update: Update, user: User) -> None:
    """A job by the RQ code a user quoted (any case)."""
    await answered(c, user)
    rq = typed(update).upper()
    rq = "RQ-" + rq[3:].lower() if rq.startswith("RQ-") else rq
    job = await c.store.jobs.by_request_id(rq)
    if job is None:
        await reply.send(update, lookup.not_found(user.language, "adm_rq_none", rq))
        return
    events = await c.store.jobs.events_of(job.id)
    ledger = await c.store.admin.ledger_of_ref(job.id)
    await reply.show(update, lookup.job(user.language, rq, job, events, ledger))


async def ask_user(c: "Container", update: Update, user: User) -> None:
    await ask(c, update, user, "user", "adm_user_prompt")


async def find_user(c: "Container", update: Update, user: User) -> None:
    """A user by id or @username."""
    await answered(c, user)
    query = typed(update)
    found = None
    if query.lstrip("-").isdigit():
        found = await c.store.users.get(int(query))
    elif query:
        found = await c.store.users.by_username(query.lstrip("@"))
    if found is None:
        await reply.send(update, lookup.not_found(user.language, "adm_user_none", query))
        return
    await _show_user(c, update, user, found)


async def user(c: "Container", update: Update, admin_user: User, user_id: str) -> None:
    target = await c.store.users.get(int(user_id))
    if target is None:
        await reply.send(update, lookup.not_found(admin_user.language, "adm_user_none", user_id))
        return
    await _show_user(c, update, admin_user, target)


async def _show_user(c: "Container", update: Update, admin_user: User, target: User) -> None:
    ledger = await c.store.users.ledger_page(target.user_id, 8)
    jobs = await c.store.jobs.recent_of(target.user_id, 8)
    await reply.show(update, lookup.user(admin_user.language, target, ledger, jobs))


async def ask_adjustment(c: "Container", update: Update, user: User, user_id: str) -> None:
    await ask(c, update, user, f"adjust:{user_id}", "adm_adjust_prompt")


async def adjust(c: "Container", update: Update, admin_user: User) -> None:
    """The typed `+100 reason` for the user the credit button named."""
    user_id = int((await answered(c, admin_user)).split(":", 1)[1])
    done = await admin.adjust(c, admin_user, user_id, typed(update))
    lang = admin_user.language
    if done.kopecks is None:
        await reply.send(update, say(lang, "adm_adjust_bad"))
    elif done.result.status == Status.MISSING:
        await reply.send(update, lookup.not_found(lang, "adm_user_none", user_id))
    elif done.result.status == Status.NEGATIVE:
        await reply.send(update, lookup.adjust_refused(lang, done.result.balance_before))
    else:
        await reply.send(update, lookup.adjusted(lang, user_id, done.kopecks, done.result.balance_after))

