"""/admin: operating the business from Telegram. Only ADMIN_IDS get here; every change is logged."""
from __future__ import annotations

import io
import logging
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from telegram import InputFile, Update
from telegram.constants import ParseMode

from shared.clients.kie import KieError
from shared.clients.telegram import markup as keyboard
from shared.domain.clock import MOSCOW, utcnow
from shared.domain.jobs import new_job_id
from shared.domain.screen import Screen
from shared.domain.stats import model_health, period_stats
from shared.domain.users import User
from shared.ui import callbacks as cb
from shared.ui.admin import lookup, notices, panel
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("admin")
FILTER = re.compile(r"(user|model|from|to)=(\S+)")


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


class AdminHandlers:
    def __init__(self, c: "Container"):
        self.c = c

    async def _reply(self, update: Update, screen: Screen) -> None:
        query = update.callback_query
        if query and query.message and query.message.text:
            await query.edit_message_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(screen.buttons))
        else:
            await self._send(update, screen)

    async def _send(self, update: Update, screen: Screen) -> None:
        await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML,
                                                 reply_markup=keyboard(screen.buttons))

    # --- menu ----------------------------------------------------------------
    async def menu(self, update: Update, user: User) -> None:
        await self._reply(update, panel.menu(user.language, (await self.c.runtime())["maintenance"]))

    async def button(self, update: Update, user: User) -> None:
        data = cb.parse(update.callback_query.data)
        route = {cb.ADM_MENU: self.menu, cb.ADM_ERRORS: self.errors, cb.ADM_FILTER: self.ask_filter,
                 cb.ADM_CSV: self.errors_csv, cb.ADM_RQ: self.ask_rq, cb.ADM_FIND_USER: self.ask_user,
                 cb.ADM_USER: self.show_user, cb.ADM_ADJUST: self.ask_adjust, cb.ADM_BAN: self.ban,
                 cb.ADM_UNBAN: self.unban, cb.ADM_STATS: self.stats, cb.ADM_MODELS: self.models,
                 cb.ADM_TOGGLE: self.toggle_model, cb.ADM_SMOKE: self.smoke, cb.ADM_KIE: self.kie_balance,
                 cb.ADM_BROADCAST: self.ask_broadcast, cb.ADM_SEND: self.send_broadcast,
                 cb.ADM_MAINTENANCE: self.toggle_maintenance, cb.ADM_LOG: self.action_log}.get(data.verb)
        if route and cb.well_formed(update.callback_query.data):
            await route(update, user, *data.args)

    async def _await(self, update: Update, user: User, what: str, key: str) -> None:
        await self.c.store.users.set_fields(user.user_id, awaiting=f"admin_{what}")
        await self._send(update, say(user.language, key))

    async def text(self, update: Update, user: User) -> None:
        """Typed input an admin screen asked for."""
        what = (user.awaiting or "").removeprefix("admin_")
        text = (update.effective_message.text or "").strip()
        await self.c.store.users.set_fields(user.user_id, awaiting=None)
        if what == "rq":
            await self.rq_lookup(update, user, text)
        elif what == "user":
            await self.user_lookup(update, user, text)
        elif what.startswith("adjust:"):
            await self.adjust(update, user, int(what.split(":", 1)[1]), text)
        elif what == "filter":
            await self.set_filter(update, user, text)
        elif what == "broadcast":
            await self.preview_broadcast(update, user, update.effective_message.text_html or text)

    # --- errors ----------------------------------------------------------------
    async def _filtered_failures(self, user: User) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        f = await self.c.store.admin.draft("filter", user.user_id)
        start = datetime.fromisoformat(f["from"]) if f.get("from") else None
        end = datetime.fromisoformat(f["to"]) if f.get("to") else None
        rows = apply_filter(await self.c.store.admin.failures(start, end), f)
        return rows, f

    async def errors(self, update: Update, user: User, page: str = "0") -> None:
        rows, f = await self._filtered_failures(user)
        await self._reply(update, lookup.errors(user.language, rows, f, int(page)))

    async def ask_filter(self, update: Update, user: User) -> None:
        await self._await(update, user, "filter", "adm_filter_prompt")

    async def set_filter(self, update: Update, user: User, text: str) -> None:
        f = parse_filter(text)
        if f is None:
            await self._send(update, say(user.language, "adm_filter_bad"))
            return
        await self.c.store.admin.save_draft("filter", user.user_id, f)
        await self.errors(update, user)

    async def errors_csv(self, update: Update, user: User) -> None:
        rows, _ = await self._filtered_failures(user)
        stamp = utcnow().astimezone(MOSCOW).strftime("%Y%m%d-%H%M")
        await update.effective_chat.send_document(
            InputFile(io.BytesIO(lookup.failures_csv(rows)), f"errors-{stamp}.csv"), caption=f"{len(rows)}")

    # --- lookups -----------------------------------------------------------------
    async def ask_rq(self, update: Update, user: User) -> None:
        await self._await(update, user, "rq", "adm_rq_prompt")

    async def rq_lookup(self, update: Update, user: User, text: str) -> None:
        rq = text.strip().upper()
        rq = "RQ-" + rq[3:].lower() if rq.startswith("RQ-") else rq
        job = await self.c.store.jobs.by_request_id(rq)
        if job is None:
            await self._send(update, lookup.not_found(user.language, "adm_rq_none", rq))
            return
        events = await self.c.store.jobs.events_of(job.id)
        ledger = await self.c.store.admin.ledger_of_ref(job.id)
        await self._reply(update, lookup.job(user.language, rq, job, events, ledger))

    async def ask_user(self, update: Update, user: User) -> None:
        await self._await(update, user, "user", "adm_user_prompt")

    async def user_lookup(self, update: Update, user: User, text: str) -> None:
        query = text.strip()
        found = None
        if query.lstrip("-").isdigit():
            found = await self.c.store.users.get(int(query))
        elif query:
            found = await self.c.store.users.by_username(query.lstrip("@"))
        if found is None:
            await self._send(update, lookup.not_found(user.language, "adm_user_none", query))
            return
        await self.show_user(update, user, str(found.user_id))

    async def show_user(self, update: Update, admin: User, user_id: str) -> None:
        target = await self.c.store.users.get(int(user_id))
        if target is None:
            await self._send(update, lookup.not_found(admin.language, "adm_user_none", user_id))
            return
        ledger = await self.c.store.users.ledger_page(target.user_id, 8)
        jobs = await self.c.store.jobs.recent_of(target.user_id, 8)
        await self._reply(update, lookup.user(admin.language, target, ledger, jobs))

    async def ask_adjust(self, update: Update, user: User, user_id: str) -> None:
        await self._await(update, user, f"adjust:{user_id}", "adm_adjust_prompt")

    async def adjust(self, update: Update, admin: User, user_id: int, text: str) -> None:
        m = re.fullmatch(r"([+-])\s*(\d+(?:[.,]\d{1,2})?)\s+(.+)", text)
        try:
            kopecks = int(Decimal(m.group(2).replace(",", ".")) * 100) * (1 if m.group(1) == "+" else -1) if m else None
        except InvalidOperation:
            kopecks = None
        if kopecks is None:
            await self._send(update, say(admin.language, "adm_adjust_bad"))
            return
        # The balance is checked inside the adjustment's transaction: a charge committing meanwhile counts.
        key = f"adjust_{admin.user_id}_{new_job_id()}"
        result = await self.c.store.users.adjust(user_id, kopecks, key, ref=f"admin:{admin.user_id}",
                                                 note=m.group(3)[:200])
        if result.status == "missing":
            await self._send(update, lookup.not_found(admin.language, "adm_user_none", user_id))
            return
        if result.status == "negative":
            await self._send(update, lookup.adjust_refused(admin.language, result.balance_before))
            return
        await self.c.store.admin.log_action(admin.user_id, "adjust_balance", f"user:{user_id}",
                                            result.balance_before, result.balance_after)
        await self._send(update, lookup.adjusted(admin.language, user_id, kopecks, result.balance_after))

    async def ban(self, update: Update, admin: User, user_id: str) -> None:
        await self.c.store.admin.set_banned(admin.user_id, int(user_id), True)
        await self.show_user(update, admin, user_id)

    async def unban(self, update: Update, admin: User, user_id: str) -> None:
        await self.c.store.admin.set_banned(admin.user_id, int(user_id), False)
        await self.show_user(update, admin, user_id)

    # --- statistics --------------------------------------------------------------
    async def stats(self, update: Update, user: User, days: str = "1") -> None:
        from shared.ui.admin import chart  # Pillow: only the statistics need it

        end = utcnow()
        start = (end.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
                 - timedelta(days=int(days) - 1)).astimezone(timezone.utc)
        found = await self.c.store.admin.period(start, end)
        by_id = {u["user_id"]: u for u in found["seen"] + found["created"]}
        result = period_stats(list(by_id.values()), found["events"], found["ledger"], start, end,
                              markup=self.c.settings.pricing_markup)
        await self._send(update, panel.stats(user.language, days, result))
        png = chart.render_chart(result, user.language)
        await update.effective_chat.send_photo(InputFile(io.BytesIO(png), "stats.png"))

    # --- models ------------------------------------------------------------------
    async def models(self, update: Update, user: User, page: str = "0") -> None:
        events = await self.c.store.admin.events_since(utcnow() - timedelta(days=7))
        health = {h.model_id: h for h in model_health(events, timedelta(days=7))}
        disabled = set((await self.c.runtime())["disabled_models"])
        await self._reply(update, panel.models(user.language, self.c.catalog.models, health, disabled, int(page)))

    async def toggle_model(self, update: Update, user: User, index: str, page: str = "0") -> None:
        model = self.c.catalog.models[int(index)]
        disabled = set((await self.c.runtime())["disabled_models"])
        disabled ^= {model.id}
        await self.c.store.admin.change_runtime(user.user_id, f"toggle_model:{model.id}",
                                                {"disabled_models": sorted(disabled)})
        self.c.forget_cached()
        await self.models(update, user, page)

    # --- smoke test ----------------------------------------------------------------
    async def smoke(self, update: Update, user: User) -> None:
        """A real generation on each free model, charged to nobody; results and a report go to this chat."""
        from shared.app import smoke

        free = await self.c.free_tier()
        run_id = await smoke.start(self.c, user.user_id, update.effective_chat.id, free)
        await self.c.store.admin.log_action(user.user_id, "smoke_test", run_id, None, free)
        await self._send(update, notices.smoke_started(user.language, len(free)))

    # --- KIE balance ----------------------------------------------------------------
    async def kie_balance(self, update: Update, user: User) -> None:
        try:
            credits = await self.c.kie.credits()
        except KieError as err:
            await self._send(update, panel.kie_error(user.language, err))
            return
        await self._reply(update, panel.kie(user.language, credits, self.c.settings.kie_low_credits))

    # --- broadcast -------------------------------------------------------------------
    async def ask_broadcast(self, update: Update, user: User) -> None:
        await self._await(update, user, "broadcast", "adm_broadcast_prompt")

    async def preview_broadcast(self, update: Update, user: User, text: str) -> None:
        await self.c.store.admin.save_draft("broadcast", user.user_id, {"text": text})
        await self._send(update, panel.broadcast_preview(user.language, await self.c.store.users.count(), text))

    async def send_broadcast(self, update: Update, user: User) -> None:
        from shared.app import broadcast

        draft = await self.c.store.admin.draft("broadcast", user.user_id)
        if not draft or not draft.get("text"):
            await self.ask_broadcast(update, user)
            return
        await self.c.store.admin.save_draft("broadcast", user.user_id, {"text": ""})
        broadcast_id = await broadcast.start(self.c, user.user_id, update.effective_chat.id, draft["text"])
        await self.c.store.admin.log_action(user.user_id, "broadcast", broadcast_id, None, draft["text"][:200])

    # --- maintenance and the log ---------------------------------------------------------
    async def toggle_maintenance(self, update: Update, user: User) -> None:
        current = (await self.c.runtime())["maintenance"]
        await self.c.store.admin.change_runtime(user.user_id, "maintenance", {"maintenance": not current})
        self.c.forget_cached()
        await self.menu(update, user)

    async def action_log(self, update: Update, user: User) -> None:
        await self._reply(update, panel.action_log(user.language, await self.c.store.admin.recent_actions()))
