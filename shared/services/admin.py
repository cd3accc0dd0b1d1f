"""/admin: operating the business from Telegram. Only ADMIN_IDS get here; every change is logged."""
from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from telegram import InputFile, Update
from telegram.constants import ParseMode

from shared.clients.kie import KieError
from shared.domain.clock import MOSCOW, utcnow
from shared.domain.jobs import new_job_id
from shared.domain.pricing import format_rub
from shared.services.keyboards import keyboard
from shared.domain.users import User
from shared.ui import callbacks as cb
from shared.ui.screens import Screen, clip
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("admin")
PREFIX = "adm"
PAGE = 10
FILTER = re.compile(r"(user|model|from|to)=(\S+)")
MAX_TEXT = 4096  # Telegram's limit for a message


def esc_clip(value: object, limit: int) -> str:
    """A value for an HTML screen: cut first, then escaped (cutting escaped text splits `&amp;` and tags)."""
    return html.escape(clip(str(value), limit))


def fit_lines(lines: list[str], room: int) -> str:
    """As many whole lines as fit in `room` characters (a cut mid-line could split a tag)."""
    kept, used = [], 0
    for line in lines:
        if used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def data(*parts: object) -> str:
    return cb.make(PREFIX, *parts)


def _when(value: datetime) -> str:
    return value.astimezone(MOSCOW).strftime("%d.%m %H:%M")


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


def failures_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["created_at", "user_id", "model_id", "status", "error_code", "error_message", "request_id",
                     "task_id", "price_kopecks", "is_free_applied"])
    for r in rows:
        writer.writerow([r["created_at"].isoformat(), r.get("user_id"), r.get("model_id"), r.get("status"),
                         r.get("error_code"), r.get("error_message"), r.get("request_id"), r.get("task_id"),
                         r.get("price_kopecks"), r.get("is_free_applied")])
    return out.getvalue().encode("utf-8")


class AdminHandlers:
    def __init__(self, c: "Container"):
        self.c = c

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.c.settings.admin_ids

    async def _reply(self, update: Update, screen: Screen) -> None:
        query = update.callback_query
        if query and query.message and query.message.text:
            await query.edit_message_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(screen.buttons))
        else:
            await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML,
                                                     reply_markup=keyboard(screen.buttons))

    def _back(self) -> list[list[tuple[str, str]]]:
        return [[(t("ru", "adm_btn_back"), data("menu"))]]

    # --- menu ----------------------------------------------------------------
    async def menu(self, update: Update, user: User) -> None:
        runtime = await self.c.runtime()
        state = t("ru", "adm_on" if runtime["maintenance"] else "adm_off")
        rows = [
            [(t("ru", "adm_btn_errors"), data("err", 0)), (t("ru", "adm_btn_rq"), data("rq"))],
            [(t("ru", "adm_btn_user"), data("user")), (t("ru", "adm_btn_stats"), data("stats", 1))],
            [(t("ru", "adm_btn_models"), data("models")), (t("ru", "adm_btn_smoke"), data("smoke"))],
            [(t("ru", "adm_btn_kie"), data("kie")), (t("ru", "adm_btn_broadcast"), data("bc"))],
            [(t("ru", "adm_btn_maint", state=state), data("maint")), (t("ru", "adm_btn_log"), data("log"))],
        ]
        await self._reply(update, Screen(t("ru", "adm_menu", maintenance=state), rows))

    async def button(self, update: Update, user: User) -> None:
        parts = cb.parse(update.callback_query.data).args
        section, args = parts[0] if parts else "menu", list(parts[1:])
        route = {"menu": self.menu, "err": self.errors, "errf": self.ask_filter, "csv": self.errors_csv,
                 "rq": self.ask_rq, "user": self.ask_user, "u": self.show_user, "adj": self.ask_adjust,
                 "ban": self.ban, "unban": self.unban, "stats": self.stats, "models": self.models,
                 "mt": self.toggle_model, "smoke": self.smoke, "kie": self.kie_balance, "bc": self.ask_broadcast,
                 "bcok": self.send_broadcast, "maint": self.toggle_maintenance, "log": self.action_log}.get(section)
        if route:
            await route(update, user, *args)

    async def _await(self, update: Update, user: User, what: str, key: str) -> None:
        await self.c.store.users.set_fields(user.user_id, awaiting=f"admin_{what}")
        await update.effective_chat.send_message(t("ru", key), parse_mode=ParseMode.HTML)

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
    async def _filter(self, user: User) -> dict[str, Any]:
        return await self.c.store.admin.draft("filter", user.user_id)

    async def _filtered_failures(self, user: User) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        f = await self._filter(user)
        start = datetime.fromisoformat(f["from"]) if f.get("from") else None
        end = datetime.fromisoformat(f["to"]) if f.get("to") else None
        rows = apply_filter(await self.c.store.admin.failures(start, end), f)
        return rows, f

    @staticmethod
    def _filter_text(f: dict[str, Any]) -> str:
        shown = {k: v for k, v in f.items() if k in ("user_id", "model_id", "from", "to")}
        return t("ru", "adm_filters", text=html.escape(json.dumps(shown, ensure_ascii=False))) if shown else ""

    async def errors(self, update: Update, user: User, page: str = "0") -> None:
        rows, f = await self._filtered_failures(user)
        page_no = int(page)
        chunk = rows[page_no * PAGE:(page_no + 1) * PAGE]
        nav = []
        if page_no > 0:
            nav.append(("◀️", data("err", page_no - 1)))
        if (page_no + 1) * PAGE < len(rows):
            nav.append(("▶️", data("err", page_no + 1)))
        buttons = [nav] if nav else []
        buttons += [[(t("ru", "adm_btn_filter"), data("errf")), (t("ru", "adm_btn_csv"), data("csv"))], *self._back()]
        if not rows:
            await self._reply(update, Screen(t("ru", "adm_errors_none", filters=self._filter_text(f)), buttons))
            return
        lines = "\n".join(t("ru", "adm_error_line", date=_when(r["created_at"]), user=r.get("user_id"),
                            model=html.escape(str(r.get("model_id"))), code=r.get("error_code") or "?",
                            rq=r.get("request_id") or "", message=esc_clip(r.get("error_message") or "", 120))
                          for r in chunk)
        await self._reply(update, Screen(t("ru", "adm_errors", count=len(rows), filters=self._filter_text(f),
                                           lines=lines), buttons))

    async def ask_filter(self, update: Update, user: User) -> None:
        await self._await(update, user, "filter", "adm_filter_prompt")

    async def set_filter(self, update: Update, user: User, text: str) -> None:
        f = parse_filter(text)
        if f is None:
            await update.effective_chat.send_message(t("ru", "adm_filter_bad"), parse_mode=ParseMode.HTML)
            return
        await self.c.store.admin.save_draft("filter", user.user_id, f)
        await self.errors(update, user)

    async def errors_csv(self, update: Update, user: User) -> None:
        rows, _ = await self._filtered_failures(user)
        stamp = utcnow().astimezone(MOSCOW).strftime("%Y%m%d-%H%M")
        await update.effective_chat.send_document(InputFile(io.BytesIO(failures_csv(rows)), f"errors-{stamp}.csv"),
                                                  caption=f"{len(rows)}")

    # --- lookups -----------------------------------------------------------------
    async def ask_rq(self, update: Update, user: User) -> None:
        await self._await(update, user, "rq", "adm_rq_prompt")

    async def rq_lookup(self, update: Update, user: User, text: str) -> None:
        rq = text.strip().upper().replace("RQ-", "RQ-")
        rq = "RQ-" + rq[3:].lower() if rq.startswith("RQ-") else rq
        job = await self.c.store.jobs.by_request_id(rq)
        if job is None:
            await update.effective_chat.send_message(t("ru", "adm_rq_none", rq=esc_clip(rq, 100)),
                                                     parse_mode=ParseMode.HTML)
            return
        events = await self.c.store.jobs.events_of(job.id)
        ledger = await self.c.store.admin.ledger_of_ref(job.id)
        history = "\n".join(f"{_when(h['at'])} {h['state']}" + (f" ({h['error']})" if h.get("error") else "")
                            for h in job.history)
        event_lines = "\n".join(f"{_when(e['created_at'])} {e['status']}"
                                + (f" {e['duration_ms']} ms" if e.get("duration_ms") else "") for e in events) or "—"
        ledger_lines = "\n".join(f"{_when(e['created_at'])} {e['kind']} {format_rub(e['amount_kopecks'])}"
                                 for e in ledger) or "—"
        inputs = esc_clip(json.dumps(job.inputs, ensure_ascii=False, indent=1), 1500)
        screen = Screen(t("ru", "adm_rq", rq=rq, user=job.user_id, model=html.escape(job.model_id), state=job.state,
                          price=format_rub(job.price_kopecks), free=" (бесплатно)" if job.is_free else "",
                          task=esc_clip(job.kie_task_id or "—", 100),
                          error=esc_clip(f"{job.error_code or '—'} {job.error_message or ''}", 600),
                          inputs=inputs, history=history or "—", events=event_lines, ledger=ledger_lines),
                        [[(t("ru", "adm_btn_user"), data("u", job.user_id))], *self._back()])
        await self._reply(update, screen)

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
            await update.effective_chat.send_message(t("ru", "adm_user_none", query=esc_clip(query, 100)),
                                                     parse_mode=ParseMode.HTML)
            return
        await self.show_user(update, user, str(found.user_id))

    async def show_user(self, update: Update, admin: User, user_id: str) -> None:
        target = await self.c.store.users.get(int(user_id))
        if target is None:
            await update.effective_chat.send_message(t("ru", "adm_user_none", query=esc_clip(user_id, 100)),
                                                     parse_mode=ParseMode.HTML)
            return
        ledger = await self.c.store.users.ledger_page(target.user_id, 8)
        jobs = await self.c.store.jobs.recent_of(target.user_id, 8)
        created = target.created_at
        ledger_lines = "\n".join(f"{_when(e['created_at'])} {e['kind']} {format_rub(e['amount_kopecks'])}"
                                 for e in ledger) or "—"
        job_lines = "\n".join(f"{_when(j['created_at'])} {html.escape(j['model_id'])} {j['state']} "
                              f"<code>{j.get('request_id') or ''}</code>" for j in jobs) or "—"
        ban = ((t("ru", "adm_btn_unban"), data("unban", user_id)) if target.banned
               else (t("ru", "adm_btn_ban"), data("ban", user_id)))
        screen = Screen(t("ru", "adm_user", name=html.escape(target.first_name or target.username or ""),
                          user=target.user_id, banned=t("ru", "adm_banned_mark") if target.banned else "",
                          language=target.language, created=_when(created), balance=format_rub(target.balance_kopecks),
                          ledger=ledger_lines, jobs=job_lines),
                        [[(t("ru", "adm_btn_credit"), data("adj", user_id)), ban], *self._back()])
        await self._reply(update, screen)

    async def ask_adjust(self, update: Update, user: User, user_id: str) -> None:
        await self._await(update, user, f"adjust:{user_id}", "adm_adjust_prompt")

    async def adjust(self, update: Update, admin: User, user_id: int, text: str) -> None:
        m = re.fullmatch(r"([+-])\s*(\d+(?:[.,]\d{1,2})?)\s+(.+)", text)
        if not m:
            await update.effective_chat.send_message(t("ru", "adm_adjust_bad"), parse_mode=ParseMode.HTML)
            return
        try:
            kopecks = int(Decimal(m.group(2).replace(",", ".")) * 100) * (1 if m.group(1) == "+" else -1)
        except InvalidOperation:
            await update.effective_chat.send_message(t("ru", "adm_adjust_bad"), parse_mode=ParseMode.HTML)
            return
        # The balance is checked inside the adjustment's transaction: a charge committing meanwhile counts.
        key = f"adjust_{admin.user_id}_{new_job_id()}"
        result = await self.c.store.users.adjust(user_id, kopecks, key, ref=f"admin:{admin.user_id}",
                                                 note=m.group(3)[:200])
        if result.status == "missing":
            await update.effective_chat.send_message(t("ru", "adm_user_none", query=user_id))
            return
        if result.status == "negative":
            await update.effective_chat.send_message(t("ru", "adm_adjust_negative",
                                                       balance=format_rub(result.balance_before)))
            return
        await self.c.store.admin.log_action(admin.user_id, "adjust_balance", f"user:{user_id}",
                                     result.balance_before, result.balance_after)
        await update.effective_chat.send_message(t("ru", "adm_adjust_done", amount=format_rub(kopecks), user=user_id,
                                                   balance=format_rub(result.balance_after)))

    async def ban(self, update: Update, admin: User, user_id: str) -> None:
        await self.c.store.admin.set_banned(admin.user_id, int(user_id), True)
        await self.show_user(update, admin, user_id)

    async def unban(self, update: Update, admin: User, user_id: str) -> None:
        await self.c.store.admin.set_banned(admin.user_id, int(user_id), False)
        await self.show_user(update, admin, user_id)

    # --- statistics --------------------------------------------------------------
    async def stats(self, update: Update, user: User, days: str = "1") -> None:
        from shared.admin import chart, stats as stats_mod

        days_n = int(days)
        end = utcnow()
        start = (end.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
                 - timedelta(days=days_n - 1)).astimezone(timezone.utc)
        found = await self.c.store.admin.period(start, end)
        by_id = {u["user_id"]: u for u in found["seen"] + found["created"]}
        result = stats_mod.period_stats(list(by_id.values()), found["events"], found["ledger"], start, end,
                                        markup=self.c.settings.pricing_markup)
        period = {"1": t("ru", "adm_btn_today"), "7": t("ru", "adm_btn_7"), "30": t("ru", "adm_btn_30")}.get(days, days)
        table = stats_mod.render_table(result, "ru")  # at most MAX_TEXT, with its own title line
        title = t("ru", "adm_stats_title", period=period)
        text = f"{title}\n{table}" if len(title) + 1 + len(table) <= MAX_TEXT else table
        buttons = [[(t("ru", "adm_btn_today"), data("stats", 1)), (t("ru", "adm_btn_7"), data("stats", 7)),
                    (t("ru", "adm_btn_30"), data("stats", 30))], *self._back()]
        await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons))
        png = chart.render_chart(result, "ru")
        await update.effective_chat.send_photo(InputFile(io.BytesIO(png), "stats.png"))

    # --- models ------------------------------------------------------------------
    async def models(self, update: Update, user: User, page: str = "0") -> None:
        from shared.admin import stats as stats_mod

        events = await self.c.store.admin.events_since(utcnow() - timedelta(days=7))
        health = {h.model_id: h for h in stats_mod.model_health(events, timedelta(days=7))}
        disabled = set((await self.c.runtime())["disabled_models"])
        models = self.c.catalog.models
        page_no = int(page)
        chunk = list(enumerate(models))[page_no * PAGE:(page_no + 1) * PAGE]
        lines, rows = [], []
        for index, m in chunk:
            h = health.get(m.id)
            rate = f"{h.success_rate:.0%}" if h and h.success_rate is not None else "—"
            median = f"{h.median_duration_ms / 1000:.1f} с" if h and h.median_duration_ms else "—"
            state = "⛔" if m.id in disabled else "✅"
            lines.append(t("ru", "adm_model_line", state=state, name=html.escape(m.name.ru), rate=rate, median=median,
                           count=h.runs if h else 0))
            rows.append([(f"{'Включить' if m.id in disabled else 'Выключить'}: {m.name.ru}"[:60],
                          data("mt", index, page_no))])
        nav = []
        if page_no > 0:
            nav.append(("◀️", data("models", page_no - 1)))
        if (page_no + 1) * PAGE < len(models):
            nav.append(("▶️", data("models", page_no + 1)))
        if nav:
            rows.append(nav)
        rows += self._back()
        await self._reply(update, Screen(t("ru", "adm_models", lines="\n".join(lines)), rows))

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
        from shared.services import smoke

        free = await self.c.free_tier()
        run_id = await smoke.start(self.c, user.user_id, update.effective_chat.id, free)
        await self.c.store.admin.log_action(user.user_id, "smoke_test", run_id, None, free)
        await update.effective_chat.send_message(t("ru", "adm_smoke_started", count=len(free)))

    # --- KIE balance ----------------------------------------------------------------
    async def kie_balance(self, update: Update, user: User) -> None:
        try:
            credits = await self.c.kie.credits()
        except KieError as err:
            await update.effective_chat.send_message(t("ru", "adm_kie_error", error=esc_clip(err, 500)),
                                                     parse_mode=ParseMode.HTML)
            return
        usd = Decimal(str(credits)) * Decimal("0.005")
        await self._reply(update, Screen(t("ru", "adm_kie", credits=f"{credits:g}", usd=f"{usd:.2f}",
                                           limit=f"{self.c.settings.kie_low_credits:g}"), self._back()))

    # --- broadcast -------------------------------------------------------------------
    async def ask_broadcast(self, update: Update, user: User) -> None:
        await self._await(update, user, "broadcast", "adm_broadcast_prompt")

    async def preview_broadcast(self, update: Update, user: User, text: str) -> None:
        await self.c.store.admin.save_draft("broadcast", user.user_id, {"text": text})
        count = await self.c.store.users.count()
        buttons = [[(t("ru", "adm_btn_send"), data("bcok"))], *self._back()]
        await update.effective_chat.send_message(t("ru", "adm_broadcast_preview", count=count, text=text),
                                                 parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons))

    async def send_broadcast(self, update: Update, user: User) -> None:
        from shared.admin import broadcast

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
        rows = await self.c.store.admin.recent_actions()
        if not rows:
            await self._reply(update, Screen(t("ru", "adm_log_empty"), self._back()))
            return
        lines = [t("ru", "adm_log_line", date=_when(r["at"]), admin=r["admin_id"],
                   action=esc_clip(r["action"], 100), target=esc_clip(r["target"], 100),
                   old=esc_clip(r.get("old"), 60), new=esc_clip(r.get("new"), 60)) for r in rows]
        room = MAX_TEXT - len(t("ru", "adm_log", lines=""))
        await self._reply(update, Screen(t("ru", "adm_log", lines=fit_lines(lines, room)), self._back()))

