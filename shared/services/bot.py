"""Telegram handlers: parse the update, call the store, render a screen, reply. No state in memory."""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram import BotCommand, LabeledPrice
from telegram.error import TelegramError
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler,
                          PreCheckoutQueryHandler, filters)

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.chains import chain, chains_for, task_source_ok
from shared.domain.jobs import ErrorCode, Job, JobState, new_job_id, new_request_id, results_fresh
from shared.domain.clock import utcnow
from shared.domain.money import (REF_PREFIX, invoice_id_from, invoice_payload, parse_rub_amount, precheckout_problem,
                                 referral_code, referrer_from_payload, stars_for)
from shared.domain.pricing import format_rub, rub_to_kopecks
from shared.domain.quote import Quote, min_run_kopecks, parse_digest, quote_job, quote_kopecks
from shared.domain.validation import (InvalidInput, build_payload, check_value, missing_asked_field,
                                     strip_controls)
from shared.logs import mask_user
from shared.domain.media import check_file, check_measured, check_room, stored_name
from shared.domain.ratelimit import Buckets
from shared.app import payments
from shared.app.tasks import enqueue_start
from shared.telegram.updates import incoming_file
from shared.clients.telegram import markup as keyboard
from shared.domain.users import Profile, User, lang_of
from shared.ui import callbacks as cb
from shared.domain.screen import Screen
from shared.domain.validation import choices
from shared.ui import account, catalog, results, wizard
from shared.ui import format as fmt
from shared.ui import replies
from shared.ui.admin import notices
from shared.domain.quote import Offer
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container
    from shared.services.admin import AdminHandlers

log = logging.getLogger("bot")
SEARCH_MAX_CHARS = 100  # a longer message is searched (and echoed) by its beginning
Ctx = ContextTypes.DEFAULT_TYPE


class StaleButton(Exception):
    """A wizard button names a field or choice the stored draft does not have."""


class Handlers:
    def __init__(self, c: "Container"):
        self.c = c
        self._admin: "AdminHandlers | None" = None
        # Per-user rate limits, in this instance's memory (the one exception to "no state in memory"):
        # 0 Firestore operations, and a bound of the limit times the number of webhook instances.
        self._updates = Buckets(c.settings.user_updates_per_minute)
        self._uploads = Buckets(c.settings.user_uploads_per_minute)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.c.settings.admin_ids

    @property
    def admin(self) -> "AdminHandlers":
        """The admin panel, imported when an admin first uses it (users' updates never load it)."""
        if self._admin is None:
            from shared.services.admin import AdminHandlers

            self._admin = AdminHandlers(self.c)
        return self._admin

    # --- helpers -------------------------------------------------------------
    async def _user(self, update: Update, args: list[str] | None = None) -> tuple[User, bool]:
        tg = update.effective_user
        chat = update.effective_chat
        profile = Profile(user_id=tg.id, chat_id=chat.id if chat else tg.id, username=tg.username,
                          first_name=tg.first_name, language_code=tg.language_code)
        text = update.effective_message.text if update.effective_message else None
        referrer = referrer_from_payload(args[0]) if args and text and text.startswith("/start") else None
        s = self.c.settings
        return await self.c.store.users.touch(profile, rub_to_kopecks(s.start_bonus_rub), referrer,
                                             rub_to_kopecks(s.referral_welcome_rub))

    async def _offers(self, user_id: int, models: list[ModelSpec]) -> dict[str, Offer]:
        """Catalog prices: exact for flat-priced models, 'from' or per unit where options change the price."""
        free = set(await self.c.free_tier())
        limit = self.c.settings.free_daily_limit
        usage = await self.c.store.users.free_usage(user_id) if free & {m.id for m in models} else {}
        s, truth = self.c.settings, self.c.pricing.truth
        offers = {}
        for m in models:
            price, unit = min_run_kopecks(m, truth, s.fx_rate, s.pricing_markup)
            varies = len({r.usd for r in truth.rules.get(m.id, [])}) > 1
            free_left = max(0, limit - usage.get(m.id, 0)) if m.id in free else None
            offers[m.id] = Offer(price=price, free_left=free_left, limit=limit, varies=varies, unit=unit)
        return offers

    async def _quote(self, user: User, job: Job, model: ModelSpec) -> Offer:
        """The exact price of this run with its options."""
        s = self.c.settings
        price = quote_kopecks(model, self.c.pricing.truth, job.inputs, job.media, s.fx_rate, s.pricing_markup)
        listed = (await self._offers(user.user_id, [model]))[model.id]
        return Offer(price=price, free_left=listed.free_left, limit=listed.limit)

    async def _show(self, update: Update, screen: Screen) -> int:
        """Edit the message a button belongs to; otherwise send a new one."""
        query = update.callback_query
        markup = keyboard(screen.buttons)
        if query and query.message:
            try:
                await query.edit_message_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=markup)
            except BadRequest as err:
                if "not modified" not in str(err).lower():
                    raise
            return query.message.message_id
        message = await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return message.message_id

    async def _job_for(self, update: Update, job_id: str, lang: str) -> Job | None:
        """The user's draft job from a button, or None (and a notice) when the form is stale."""
        job = await self.c.store.jobs.get(job_id)
        if job is None or job.user_id != update.effective_user.id or job.state != JobState.AWAITING_INPUT:
            await self._not_a_draft(update, lang, job)
            return None
        return job

    async def _not_a_draft(self, update: Update, lang: str, job: Job | None) -> None:
        running = job is not None and job.state in (JobState.CONFIRMED, JobState.RUNNING)
        await update.effective_chat.send_message(t(lang, "already_running" if running else "stale"))

    async def _change_draft(self, update: Update, user: User, job_id: str,
                            edit: Callable[[Job], dict[str, Any] | None]) -> Job | None:
        """Apply a wizard edit to the stored draft (a transaction that bumps its revision); None after a
        notice when the draft is gone or running, or the button names nothing the draft has."""
        try:
            job = await self.c.store.drafts.update(job_id, user.user_id, edit)
        except StaleButton:
            await self.stale_button(update, user)
            return None
        if job is None or job.state != JobState.AWAITING_INPUT:
            await self._not_a_draft(update, user.language, job)
            return None
        return job

    def _model_field(self, job: Job, index: str) -> tuple[ModelSpec, FieldSpec]:
        """The draft's model and the field a button's index names; StaleButton when it names none."""
        model = self.c.catalog.get(job.model_id)
        field = self._field_at(model, index)
        if field is None:
            raise StaleButton(index)
        return model, field

    # --- entry ---------------------------------------------------------------
    def entry(self, handler: Callable[[Update, User], Awaitable[None]]) -> Callable[[Update, Ctx], Awaitable[None]]:
        """Load (or create) the user for every update; banned users get one short line and nothing else."""

        async def run(update: Update, context: Ctx) -> None:
            if update.effective_user is None or update.effective_chat is None:
                return
            if await self._rate_limited(update, handler):
                return
            if update.callback_query:
                await update.callback_query.answer()  # always, and first
            user, created = await self._user(update, context.args if isinstance(context.args, list) else None)
            if user.banned:
                await update.effective_chat.send_message(t(user.language, "banned"))
                return
            admin = user.user_id in self.c.settings.admin_ids
            if not admin and handler.__name__ not in OPEN_IN_MAINTENANCE and (await self.c.runtime())["maintenance"]:
                await update.effective_chat.send_message(t(user.language, "maintenance"))
                return
            if created and self.c.settings.start_bonus_rub > 0:
                amount = format_rub(rub_to_kopecks(self.c.settings.start_bonus_rub))
                await update.effective_chat.send_message(t(user.language, "bonus_granted", amount=amount),
                                                         parse_mode=ParseMode.HTML)
            if created and user.referrer_id and self.c.settings.referral_welcome_rub > 0:
                amount = format_rub(rub_to_kopecks(self.c.settings.referral_welcome_rub))
                await update.effective_chat.send_message(t(user.language, "referral_welcome", amount=amount),
                                                         parse_mode=ParseMode.HTML)
            await handler(update, user)

        return run

    async def _rate_limited(self, update: Update, handler: Callable[..., Any]) -> bool:
        """True when the user is over their limit of updates per minute (or of uploads, for a file): they get
        one short line per streak and nothing else is done, not even a Firestore read. Admins are never
        limited; payments and pre-checkouts do not come through here (see Webhook.process)."""
        user_id = update.effective_user.id
        if user_id in self.c.settings.admin_ids:
            return False
        allowed, tell = self._updates.take(user_id)
        if allowed and handler.__name__ == "media":
            allowed, tell = self._uploads.take(user_id)
        if not allowed and tell:
            try:
                await update.effective_chat.send_message(t(lang_of(update.effective_user.language_code),
                                                           "rate_limited"))
            except TelegramError as err:
                log.info("rate-limit notice not sent: %s", err)
        return not allowed

    # --- commands --------------------------------------------------------------
    async def start(self, update: Update, user: User) -> None:
        """/start: welcome, balance, main menu."""
        lang = user.language
        if user.awaiting:
            await self.c.store.users.set_fields(user.user_id, awaiting=None)
        free = await self.c.free_tier()
        await self._show(update, catalog.main_menu(lang, user.balance_kopecks, len(await self.c.enabled_models()),
                                                   len(free), self.c.settings.free_daily_limit, welcome=True))

    async def help(self, update: Update, user: User) -> None:
        """/help."""
        free = await self.c.free_tier()
        await self._show(update, catalog.help_screen(user.language, len(free), self.c.settings.free_daily_limit))

    async def admin_cmd(self, update: Update, user: User) -> None:
        """/admin: the panel for ADMIN_IDS; anyone else gets the usual unknown-command reply (and a log line)."""
        if not self.is_admin(user.user_id):
            log.warning("non-admin tried /admin", extra={"user": mask_user(user.user_id)})
            await self.unknown_command(update, user)
            return
        await self.admin.menu(update, user)

    async def admin_button(self, update: Update, user: User) -> None:
        if not self.is_admin(user.user_id):  # the reply any unknown button gets: nothing hints at a panel
            log.warning("non-admin pressed an admin button", extra={"user": mask_user(user.user_id)})
            await self.stale_button(update, user)
            return
        await self.admin.button(update, user)

    async def stale_button(self, update: Update, user: User) -> None:
        await update.effective_chat.send_message(t(user.language, "stale"))

    async def unknown_command(self, update: Update, user: User) -> None:
        await update.effective_chat.send_message(t(user.language, "unknown"))

    # --- buttons ---------------------------------------------------------------
    async def button(self, update: Update, user: User) -> None:
        """Every inline button (already answered by entry), routed by its verb. Data our buttons
        could not have made (forged, or from an older version) gets the stale-form reply."""
        if not cb.well_formed(update.callback_query.data):
            await self.stale_button(update, user)
            return
        data = cb.parse(update.callback_query.data)
        route = {
            cb.HOME: self._home, cb.HELP: self._help, cb.BALANCE: self._balance, cb.SEARCH: self._search_prompt,
            cb.CATALOG: self._catalog, cb.MODEL: self._card, cb.START: self._begin, cb.SET: self._set_choice,
            cb.EDIT: self._edit, cb.REVIEW: self._review, cb.CONFIRM: self._confirm, cb.CANCEL: self._cancel,
            cb.DONE: self._done_files, cb.PAGE: self._page, cb.REPEAT: self._repeat, cb.TOPUP: self._topup, cb.LEDGER: self._ledger,
            cb.HISTORY: self._history, cb.HISTORY_ITEM: self._history_item, cb.REFERRAL: self._referral,
            cb.RUN_EXPENSIVE: self._confirm_expensive, cb.REPROMPT: self._reprompt, cb.CHAIN: self._chain,
        }.get(data.verb)
        if route is not None:
            await route(update, user, *data.args)

    async def _help(self, update: Update, user: User) -> None:
        await self.help(update, user)

    async def _home(self, update: Update, user: User) -> None:
        free = await self.c.free_tier()
        await self._show(update, catalog.main_menu(user.language, user.balance_kopecks, len(await self.c.enabled_models()),
                                                   len(free), self.c.settings.free_daily_limit, welcome=False))

    async def _balance(self, update: Update, user: User) -> None:
        recent = await self.c.store.users.ledger_page(user.user_id, 5)
        await self._show(update, account.balance_screen(user.language, user.balance_kopecks, recent,
                                                        self._names(user.language)))

    async def balance_cmd(self, update: Update, user: User) -> None:
        """/balance."""
        await self._balance(update, user)

    def _names(self, lang: str) -> dict[str, str]:
        return {m.id: m.name.get(lang) for m in self.c.catalog.models}

    async def _topup(self, update: Update, user: User, amount: str | None = None) -> None:
        s, lang = self.c.settings, user.language
        if amount is None:
            await self._show(update, account.topup_screen(lang, user.balance_kopecks, s.topup_packs_rub,
                                                          s.stars_per_100_rub, s.topup_min_rub, s.topup_max_rub))
        elif amount == "custom":
            await self.c.store.users.set_fields(user.user_id, awaiting="topup_amount")
            await update.effective_chat.send_message(t(lang, "topup_custom_prompt", min=s.topup_min_rub,
                                                       max=s.topup_max_rub))
        else:
            await self._send_invoice(update, user, int(amount))

    async def _send_invoice(self, update: Update, user: User, rub: int) -> None:
        """A Stars invoice for `rub` roubles; the payload names our invoice document, checked at pre-checkout."""
        s, lang = self.c.settings, user.language
        if not s.topup_min_rub <= rub <= s.topup_max_rub:
            await update.effective_chat.send_message(t(lang, "topup_bad_amount", min=s.topup_min_rub,
                                                       max=s.topup_max_rub))
            return
        invoice_id, stars = new_job_id(), stars_for(rub, s.stars_per_100_rub)
        await self.c.store.payments.create_invoice(invoice_id, user.user_id, rub * 100, stars)
        await update.effective_chat.send_invoice(
            title=t(lang, "invoice_title"), description=t(lang, "invoice_description", rub=rub),
            payload=invoice_payload(invoice_id), currency="XTR",
            prices=[LabeledPrice(t(lang, "invoice_label", rub=rub), stars)])

    async def precheckout(self, update: Update, context: Ctx) -> None:
        """Telegram waits at most 10 s for this answer: two reads at once (the invoice, the user), no writes.
        A banned user is refused here, because a payment that went through is always credited."""
        query = update.pre_checkout_query
        invoice_id = invoice_id_from(query.invoice_payload)
        user, invoice = await asyncio.gather(self.c.store.users.get(query.from_user.id),
                                             self.c.store.payments.get_invoice(invoice_id) if invoice_id else _nothing())
        problem = ("banned" if user is not None and user.banned else
                   precheckout_problem(invoice, query.from_user.id, query.currency, query.total_amount, utcnow()))
        try:
            if problem:
                log.warning("pre-checkout refused: %s", problem, extra={"user": mask_user(query.from_user.id)})
                await query.answer(ok=False, error_message=t(lang_of(query.from_user.language_code), problem))
            else:
                await query.answer(ok=True)
        except BadRequest as err:  # answered too late, or a redelivered query: Telegram has moved on
            log.warning("pre-checkout answer refused: %s", err)

    async def paid(self, update: Update) -> None:
        """successful_payment: credit once (keyed by Telegram's charge id), whatever the user's status —
        banned users are refused at pre-checkout instead. Called outside PTB's dispatch (Webhook.process):
        an error here reaches the webhook, which answers non-2xx so that Telegram redelivers."""
        payment = update.effective_message.successful_payment
        user_id = update.effective_user.id
        step = await payments.credit(self.c, user_id, payment.telegram_payment_charge_id, payment.invoice_payload,
                                     payment.total_amount, "update")
        if step.status != "credited":
            log.info("repeated successful_payment ignored", extra={"user": mask_user(user_id)})
            return
        screen = account.topup_done(step.language, step.payment, step.balances[step.payment.user_id])
        await payments.tell(self.c, update.effective_chat.id, screen)
        log.info("top-up credited", extra={"user": mask_user(user_id)})

    async def refunded(self, update: Update) -> None:
        """refunded_payment: Telegram gave the Stars back (a refund made outside the bot, or ours): the
        top-up and the inviter's share are debited once. Outside PTB's dispatch, like `paid`."""
        await payments.refund_seen(self.c, update.effective_message.refunded_payment.telegram_payment_charge_id,
                                   "telegram")

    async def paysupport(self, update: Update, user: User) -> None:
        """/paysupport (Telegram requires it for Stars sellers)."""
        text = self.c.settings.paysupport_text or t(user.language, "paysupport")
        await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML)

    async def terms(self, update: Update, user: User) -> None:
        """/terms."""
        text = self.c.settings.terms_text or t(user.language, "terms")
        await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML)

    async def refund(self, update: Update, user: User) -> None:
        """/refund <charge id> (admins): take the top-up and the inviter's share back, then return the Stars;
        Telegram's answer or its record of star transactions settles the refund (shared/services/payments.py)."""
        lang = user.language
        if user.user_id not in self.c.settings.admin_ids:
            log.warning("non-admin tried /refund", extra={"user": mask_user(user.user_id)})
            await self.unknown_command(update, user)
            return
        words = (update.effective_message.text or "").split()
        if len(words) != 2:
            await update.effective_chat.send_message(t(lang, "refund_usage"), parse_mode=ParseMode.HTML)
            return
        charge = words[1]
        step = await payments.refund(self.c, charge)
        screen = notices.refund_reply(lang, step.status, charge, step.payment, step.balances, step.note)
        await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML)

    async def _cursor_page(self, fetch: Callable[..., Awaitable[list[dict]]], direction: str,
                           ms: str) -> tuple[list[dict], bool, bool]:
        """One page of newest-first rows around a time cursor, and whether newer/older pages exist."""
        cursor = account.time_of(ms)
        size = account.PAGE + 1
        if direction == "p" and cursor:
            rows = await fetch(size, after=cursor)
            return rows[-account.PAGE:], len(rows) > account.PAGE, True
        rows = await fetch(size, before=cursor)
        return rows[:account.PAGE], cursor is not None, len(rows) > account.PAGE

    async def _ledger(self, update: Update, user: User, direction: str = "n", ms: str = "0") -> None:
        rows, newer, older = await self._cursor_page(
            lambda size, **at: self.c.store.users.ledger_page(user.user_id, size, **at), direction, ms)
        total = await self.c.store.users.ledger_count(user.user_id)
        await self._show(update, account.ledger_screen(user.language, rows, total, self._names(user.language),
                                                       newer, older))

    async def history_cmd(self, update: Update, user: User) -> None:
        """/history."""
        await self._history(update, user)

    async def _history(self, update: Update, user: User, direction: str = "n", ms: str = "0") -> None:
        rows, newer, older = await self._cursor_page(
            lambda size, **at: self.c.store.jobs.history_page(user.user_id, size, account.HISTORY_STATES, **at),
            direction, ms)
        total = await self.c.store.jobs.history_count(user.user_id, account.HISTORY_STATES)
        await self._show(update, account.history_screen(user.language, rows, total, self._names(user.language),
                                                        newer, older))

    async def _history_item(self, update: Update, user: User, job_id: str) -> None:
        """Send a past result again (shared/app/deliver.py `again`): no new charge, no provider call."""
        from shared.app import deliver  # the delivery ladder: only a history item needs it in the webhook

        job = await self.c.store.jobs.get(job_id)
        if job is None or job.user_id != user.user_id:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        enabled = {m.id for m in await self.c.enabled_models()}
        sent = await deliver.again(self.c, job, update.effective_chat.id, user.language, enabled)
        if sent == deliver.Again.GONE:
            model = self.c.catalog.get(job.model_id)
            actions = keyboard(results.actions(user.language, job, model, chains_for(model, enabled))) if model else None
            await update.effective_chat.send_message(t(user.language, "history_resend_missing"), reply_markup=actions)
        elif sent == deliver.Again.FAILED:
            await update.effective_chat.send_message(t(user.language, "history_resend_missing"))

    async def ref_cmd(self, update: Update, user: User) -> None:
        """/ref."""
        await self._referral(update, user)

    async def _referral(self, update: Update, user: User) -> None:
        s = self.c.settings
        link = f"https://t.me/{self.c.bot.username}?start={REF_PREFIX}{referral_code(user.user_id)}"
        await self._show(update, account.referral_screen(user.language, link, rub_to_kopecks(s.referral_welcome_rub),
                                                         s.referral_percent, user.referrals_count,
                                                         user.referral_income_kopecks))

    async def _search_prompt(self, update: Update, user: User) -> None:
        await self.c.store.users.set_fields(user.user_id, awaiting="search")
        await update.effective_chat.send_message(t(user.language, "search_prompt"), parse_mode=ParseMode.HTML)

    async def _catalog(self, update: Update, user: User, category: str = "image", page: str = "0") -> None:
        enabled = await self.c.enabled_models()
        if category == "free":
            free = await self.c.free_tier()
            models = [m for m in enabled if m.id in free]
            models.sort(key=lambda m: free.index(m.id))
            offers = await self._offers(user.user_id, models)
            await self._show(update, catalog.free_page(user.language, models, offers, self.c.settings.free_daily_limit))
            return
        models = [m for m in enabled if m.category == category]
        offers = await self._offers(user.user_id, models)
        await self._show(update, catalog.catalog_page(user.language, category, models, offers, int(page or 0)))

    async def _available(self, model_id: str) -> ModelSpec | None:
        """A catalog model that admins have not switched off."""
        return next((m for m in await self.c.enabled_models() if m.id == model_id), None)

    async def _card(self, update: Update, user: User, model_id: str) -> None:
        model = await self._available(model_id)
        if model is None:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        offers = await self._offers(user.user_id, [model])
        await self._show(update, catalog.model_card(user.language, model, offers[model.id]))

    async def _begin(self, update: Update, user: User, model_id: str) -> None:
        """Start the wizard: the draft job document holds the answers."""
        model = await self._available(model_id)
        if model is None:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        job = Job(id=new_job_id(), user_id=user.user_id, chat_id=update.effective_chat.id, lang=user.language,
                  model_id=model.id)
        await self._new_draft(user, job)
        await self._next(update, user, job, model)

    async def _new_draft(self, user: User, job: Job) -> None:
        await self.c.store.drafts.create(job)
        if user.awaiting:  # a search or a typed amount ends where a wizard begins
            await self.c.store.users.set_fields(user.user_id, awaiting=None)

    async def _next(self, update: Update, user: User, job: Job, model: ModelSpec, new_message: bool = False) -> None:
        """Show the next unanswered step, or the confirmation screen when all are answered."""
        field = missing_asked_field(model, job.inputs, job.skipped)
        if field is None:
            screen = await self._confirmation(user, job, model)
        else:
            asked = model.asked
            screen = wizard.wizard_step(user.language, job, model, field, asked.index(field) + 1, len(asked))
        if new_message:
            message = await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML,
                                                               reply_markup=keyboard(screen.buttons))
            await self.c.store.jobs.set_fields(job.id, screen_message_id=message.message_id)  # not priced: no revision
        else:
            await self._show(update, screen)

    async def _confirmation(self, user: User, job: Job, model: ModelSpec) -> Screen:
        return wizard.confirm_screen(user.language, job, model, await self._quote(user, job, model),
                                      user.balance_kopecks)

    @staticmethod
    def _field_at(model: ModelSpec, index: str) -> FieldSpec | None:
        """The field a button's index names, if the user may set it (never a hidden or fixed one)."""
        i = int(index)
        field = model.fields[i] if 0 <= i < len(model.fields) else None
        return field if field is not None and field.ui not in ("hidden", "fixed") else None

    async def _draft_field(self, update: Update, user: User, job_id: str,
                           index: str) -> tuple[Job, ModelSpec, FieldSpec] | None:
        """The draft, its model and the field a wizard button names; None (after a notice) when stale."""
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return None
        model = self.c.catalog.get(job.model_id)
        field = self._field_at(model, index)
        if field is None:
            await self.stale_button(update, user)
            return None
        return job, model, field

    async def _set_choice(self, update: Update, user: User, job_id: str, index: str, choice: str) -> None:
        def choose(job: Job) -> dict[str, Any]:
            _, field = self._model_field(job, index)
            options = choices(field)
            if choice != "d" and not int(choice) < len(options):
                raise StaleButton(choice)
            inputs, skipped = dict(job.inputs), list(job.skipped)
            if choice == "d":
                inputs.pop(field.name, None)
                skipped.append(field.name)
            else:
                inputs[field.name] = check_value(field, options[int(choice)])
            return {"inputs": inputs, "skipped": skipped, "editing": None}

        job = await self._change_draft(update, user, job_id, choose)
        if job is not None:
            await self._next(update, user, job, self.c.catalog.get(job.model_id))

    async def _edit(self, update: Update, user: User, job_id: str, index: str) -> None:
        job = await self._change_draft(update, user, job_id,
                                       lambda draft: {"editing": self._model_field(draft, index)[1].name})
        if job is not None:
            model, field = self._model_field(job, index)
            await self._show(update, wizard.option_picker(user.language, job, model, field))

    async def _page(self, update: Update, user: User, job_id: str, index: str, page: str) -> None:
        found = await self._draft_field(update, user, job_id, index)
        if found is None:
            return
        job, model, field = found
        if job.editing == field.name:
            await self._show(update, wizard.option_picker(user.language, job, model, field, int(page)))
            return
        asked = model.asked
        step = asked.index(field) + 1 if field in asked else 1
        await self._show(update, wizard.wizard_step(user.language, job, model, field, step, len(asked), int(page)))

    async def _review(self, update: Update, user: User, job_id: str) -> None:
        job = await self._change_draft(update, user, job_id, lambda draft: {"editing": None} if draft.editing else None)
        if job is not None:
            await self._show(update, await self._confirmation(user, job, self.c.catalog.get(job.model_id)))

    async def _done_files(self, update: Update, user: User, job_id: str, index: str) -> None:
        def done(job: Job) -> dict[str, Any]:
            _, field = self._model_field(job, index)
            skipped = job.skipped
            if field.name not in job.inputs and not field.required:
                skipped = [*job.skipped, field.name]
            return {"skipped": skipped, "editing": None}

        job = await self._change_draft(update, user, job_id, done)
        if job is not None:
            await self._next(update, user, job, self.c.catalog.get(job.model_id))

    async def _cancel(self, update: Update, user: User, job_id: str) -> None:
        job = await self.c.store.jobs.get(job_id)
        if job and job.user_id == user.user_id and job.state == JobState.AWAITING_INPUT:
            await self.c.store.jobs.move(job.id, JobState.CANCELLED)
        await self._show(update, catalog.notice(user.language, "cancelled"))

    async def _finished_job(self, update: Update, user: User, job_id: str) -> Job | None:
        job = await self.c.store.jobs.get(job_id)
        if job is None or job.user_id != user.user_id or not job.terminal:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return None
        return job

    async def _draft_from(self, update: Update, user: User, model: ModelSpec, inputs: dict[str, Any],
                          media: dict[str, list[dict]], skipped: list[str]) -> None:
        """A new draft prefilled from an earlier run; the wizard asks what is missing, then shows the price."""
        if await self._available(model.id) is None:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        job = Job(id=new_job_id(), user_id=user.user_id, chat_id=update.effective_chat.id, lang=user.language,
                  model_id=model.id, inputs=inputs, media=media, skipped=skipped)
        await self._new_draft(user, job)
        await self._next(update, user, job, model, new_message=True)

    async def _repeat(self, update: Update, user: User, job_id: str) -> None:
        job = await self._finished_job(update, user, job_id)
        if job:
            await self._draft_from(update, user, self.c.catalog.get(job.model_id), job.inputs, job.media, job.skipped)

    async def _reprompt(self, update: Update, user: User, job_id: str) -> None:
        job = await self._finished_job(update, user, job_id)
        if job:
            inputs = {k: v for k, v in job.inputs.items() if k not in ("prompt", "text")}
            skipped = [k for k in job.skipped if k not in ("prompt", "text")]
            await self._draft_from(update, user, self.c.catalog.get(job.model_id), inputs, job.media, skipped)

    async def _chain(self, update: Update, user: User, job_id: str, key: str) -> None:
        job = await self._finished_job(update, user, job_id)
        link = chain(key)
        if job is None or link is None or not job.result_urls or job.state != JobState.SUCCEEDED:
            return
        target = self.c.catalog.get(link.model_id)
        field = target.field(link.field)
        if link.source == "task":
            if not task_source_ok(target.id, job, user.user_id):
                await self.stale_button(update, user)
                return
            await self._draft_from(update, user, target, {field.name: job.kie_task_id}, {}, [])
            return
        url = job.result_urls[0]
        try:  # measured like an upload, and fetched with the same cap
            from shared.app import media  # a chain button: the result is fetched and measured like an upload

            measured = await media.measure_url(field, url)
            check_measured(field, measured)
        except InvalidInput as err:
            await update.effective_chat.send_message(wizard.problem_text(user.language, err.problem),
                                                     parse_mode=ParseMode.HTML)
            return
        value = [url] if field.multiple else url
        await self._draft_from(update, user, target, {field.name: value}, {field.name: [measured.record(url)]}, [])

    async def _confirm_expensive(self, update: Update, user: User, job_id: str, digest: str) -> None:
        await self._confirm(update, user, job_id, digest, expensive_ok=True)

    def _quote_of(self, model: ModelSpec, is_free: bool) -> Callable[[Job], Quote]:
        """The pure pricing the confirm transaction applies to the draft it reads."""
        s, truth = self.c.settings, self.c.pricing.truth
        return lambda job: quote_job(model, truth, job, is_free, s.fx_rate, s.pricing_markup)

    async def _quote_changed(self, update: Update, user: User, job: Job, model: ModelSpec, digest: str) -> None:
        """The button's quote is not the draft's any more: show the current one, run nothing."""
        offer = await self._quote(user, job, model)
        screen = wizard.confirm_screen(user.language, job, model, offer, user.balance_kopecks)
        await self._show(update, wizard.quote_changed(user.language, screen, parse_digest(digest),
                                                       offer.quote(job.revision)))

    async def _confirm(self, update: Update, user: User, job_id: str, digest: str, expensive_ok: bool = False) -> None:
        """Validate everything, freeze the price the button showed, enqueue the worker. Nothing is charged here."""
        lang = user.language
        job = await self._job_for(update, job_id, lang)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        if await self._available(model.id) is None:
            await update.effective_chat.send_message(t(lang, "stale"))
            return
        try:
            build_payload(model, job.inputs)
        except InvalidInput as err:
            await update.effective_chat.send_message(wizard.problem_text(lang, err.problem), parse_mode=ParseMode.HTML)
            return
        offer = await self._quote(user, job, model)
        if offer.quote(job.revision).digest != digest:
            await self._quote_changed(update, user, job, model, digest)
            return
        if not offer.is_free and user.balance_kopecks < offer.price:
            await self._show(update, await self._confirmation(user, job, model))
            await update.effective_chat.send_message(
                wizard.insufficient_funds(lang, offer.price, user.balance_kopecks).text, parse_mode=ParseMode.HTML)
            return
        if offer.price <= 0 and not offer.is_free:
            raise RuntimeError(f"non-positive price for {model.id}")  # a pricing bug must never run for free
        if not offer.is_free and offer.price > rub_to_kopecks(self.c.settings.confirm_above_rub) and not expensive_ok:
            await self._show(update, wizard.expensive(lang, job, model, offer.price, digest))
            return
        screen = update.callback_query.message if update.callback_query else None  # becomes the status line
        outcome = await self.c.store.drafts.confirm_quoted(job.id, user.user_id, self._quote_of(model, offer.is_free), digest,
                                                    new_request_id(), screen.message_id if screen else None)
        if outcome.status == "changed":  # an edit landed since this update read the draft
            await self._quote_changed(update, user, outcome.job, model, digest)
            return
        if outcome.status != "confirmed":
            await update.effective_chat.send_message(t(lang, "already_running"))
            return
        confirmed = outcome.job
        try:
            await enqueue_start(self.c, confirmed.id)
        except Exception:  # the queue is down: end the job now, nothing was charged...
            log.exception("enqueue failed", extra={"job_id": job.id, "request_id": confirmed.request_id})
            failed = await self.c.store.jobs.move(job.id, JobState.FAILED, error_code=ErrorCode.INTERNAL.value,
                                             unsettled=False)
            if failed is not None:
                await self._show(update, results.not_started(lang, confirmed.request_id))
                return
            # ...unless the task was accepted after all and the worker has the job (maybe charged it already):
            # then it is running like any other, and the worker tells how it ends (or already has).
            current = await self.c.store.jobs.get(job.id)
            if current is None or current.terminal:
                return
        left = user.balance_kopecks - (0 if offer.is_free else offer.price)
        low = not offer.is_free and left < rub_to_kopecks(self.c.settings.low_balance_rub)
        status_id = await self._show(update, results.started(lang, model, confirmed.request_id, left if low else None))
        if status_id != confirmed.status_message_id:  # the screen could not be edited: a new message shows it
            await self.c.store.jobs.set_fields(job.id, status_message_id=status_id)
        log.info("job confirmed", extra={"job_id": job.id, "request_id": confirmed.request_id,
                                         "user": mask_user(user.user_id), "model_id": model.id})

    # --- text ------------------------------------------------------------------
    async def text(self, update: Update, user: User) -> None:
        """Free text: a custom top-up amount, the wizard's current text step, else a model search."""
        if (user.awaiting or "").startswith("admin_") and self.is_admin(user.user_id):
            await self.admin.text(update, user)
            return
        if user.awaiting == "topup_amount":
            await self.c.store.users.set_fields(user.user_id, awaiting=None)
            rub = parse_rub_amount(update.effective_message.text or "")
            s = self.c.settings
            if rub is None:
                await update.effective_chat.send_message(t(user.language, "topup_bad_amount", min=s.topup_min_rub,
                                                           max=s.topup_max_rub))
                return
            await self._send_invoice(update, user, rub)
            return
        text = update.effective_message.text or ""
        job = None if user.awaiting else await self.c.store.drafts.current(user.user_id)
        if job and job.state == JobState.AWAITING_INPUT and not user.awaiting:
            await self._answer_text(update, user, job, text)
            return
        await self._search(update, user, text)

    async def _answer_text(self, update: Update, user: User, job: Job, text: str) -> None:
        model = self.c.catalog.get(job.model_id)
        field = self._text_target(model, job)
        lang = user.language
        if field is None:
            await self._next(update, user, job, model, new_message=True)
            return
        if field.is_media:
            await update.effective_chat.send_message(t(lang, "not_media_step", what=t(lang, f"what_{field.type}")))
            return
        if field.type in ("enum", "boolean"):
            await self._next(update, user, job, model, new_message=True)
            return
        try:
            value = check_value(field, text)
        except InvalidInput as err:
            await update.effective_chat.send_message(wizard.problem_text(lang, err.problem), parse_mode=ParseMode.HTML)
            return
        if field.type == "task_ref" and not task_source_ok(
                model.id, await self.c.store.jobs.find_by_task(str(value)), user.user_id):
            await update.effective_chat.send_message(t(lang, "task_ref_not_yours"), parse_mode=ParseMode.HTML)
            return
        job = await self._change_draft(update, user, job.id,
                                       lambda draft: {"inputs": {**draft.inputs, field.name: value}, "editing": None})
        if job is not None:
            await self._next(update, user, job, model, new_message=True)

    @staticmethod
    def _text_target(model: ModelSpec, job: Job) -> FieldSpec | None:
        """Which field a typed message answers: the option being edited, the current step,
        or — on the confirmation screen — the prompt (typing a new prompt replaces it)."""
        if job.editing:
            return model.field(job.editing)
        step = missing_asked_field(model, job.inputs, job.skipped)
        if step is not None:
            return step
        for name in ("prompt", "text"):
            if any(f.name == name for f in model.fields):
                return model.field(name)
        return None

    async def _search(self, update: Update, user: User, query: str) -> None:
        query = fmt.clip(strip_controls(query), SEARCH_MAX_CHARS)
        if user.awaiting:
            await self.c.store.users.set_fields(user.user_id, awaiting=None)
        found = catalog.search_models(await self.c.enabled_models(), query)
        offers = await self._offers(user.user_id, found)
        await self._show(update, catalog.search_results(user.language, query, found, offers))

    async def media(self, update: Update, user: User) -> None:
        """A file for the wizard's media step (shared/app/media.py)."""
        from shared.app import media  # only media steps fetch, decode and upload files from the webhook

        lang = user.language
        filing = await media.attach(self.c, user, update.effective_chat.id, incoming_file(update.effective_message))
        if filing.status == media.Filed.NO_DRAFT:
            await update.effective_chat.send_message(t(lang, "unknown"))
        elif filing.status in (media.Filed.NEXT, media.Filed.COMPLETE):
            await self._next(update, user, filing.job, filing.model, new_message=True)
        elif filing.status == media.Filed.PROBLEM:
            await update.effective_chat.send_message(wizard.problem_text(lang, filing.problem), parse_mode=ParseMode.HTML)
        elif filing.status == media.Filed.UPLOAD_FAILED:
            await update.effective_chat.send_message(wizard.upload_failed(lang).text)
        elif filing.status == media.Filed.STALE:
            await update.effective_chat.send_message(t(lang, "stale"))
        elif filing.status == media.Filed.FULL:
            await update.effective_chat.send_message(wizard.too_many_files(lang, filing.field.max_count).text)
        elif filing.status == media.Filed.ADDED:
            screen = wizard.media_received(lang, filing.job, filing.model.fields.index(filing.field), filing.count,
                                           filing.field.max_count)
            await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(screen.buttons))

    async def on_error(self, update: object, context: Ctx) -> None:
        rq = new_request_id()
        log.error("handler failed: %s", context.error, exc_info=context.error, extra={"request_id": rq})
        if isinstance(update, Update) and update.effective_chat:
            lang = "en" if (update.effective_user and (update.effective_user.language_code or "").startswith("en")) else "ru"
            try:
                await update.effective_chat.send_message(t(lang, "error_generic", rq=rq), parse_mode=ParseMode.HTML)
            except Exception:  # the error path must not raise
                log.exception("could not report the error to the user")


def build_application(c: "Container", h: Handlers | None = None) -> Application:
    """The one place that registers every handler (payments are routed by Webhook.process)."""
    app = Application.builder().bot(c.bot).updater(None).build()
    h = h or Handlers(c)
    app.add_handler(CommandHandler("start", h.entry(h.start)))
    app.add_handler(CommandHandler("help", h.entry(h.help)))
    app.add_handler(CommandHandler("balance", h.entry(h.balance_cmd)))
    app.add_handler(CommandHandler("history", h.entry(h.history_cmd)))
    app.add_handler(CommandHandler("ref", h.entry(h.ref_cmd)))
    app.add_handler(CommandHandler("paysupport", h.entry(h.paysupport)))
    app.add_handler(CommandHandler("terms", h.entry(h.terms)))
    app.add_handler(CommandHandler("refund", h.entry(h.refund)))
    app.add_handler(PreCheckoutQueryHandler(h.precheckout))
    app.add_handler(CommandHandler("admin", h.entry(h.admin_cmd)))
    app.add_handler(CallbackQueryHandler(h.entry(h.admin_button), pattern=r"^adm(:|$)"))
    app.add_handler(CallbackQueryHandler(h.entry(h.button)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, h.entry(h.text)))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL | filters.AUDIO | filters.VOICE | filters.VIDEO,
                                   h.entry(h.media)))
    app.add_handler(MessageHandler(filters.COMMAND, h.entry(h.unknown_command)))
    app.add_error_handler(h.on_error)
    return app


class Webhook:
    """The webhook's application, initialized on the first update (one getMe per instance)."""

    def __init__(self, c: "Container"):
        self.c = c
        self.handlers = Handlers(c)
        self.app = build_application(c, self.handlers)
        self._ready = False

    @staticmethod
    def money(update: Update) -> bool:
        """A payment or a refund of one: keyed by its charge id, never dropped, never rate-limited."""
        message = update.message
        return message is not None and (message.successful_payment is not None
                                        or message.refunded_payment is not None)

    @classmethod
    def needs_claim(cls, update: Update) -> bool:
        """Whether the webhook claims the update id before handling (at most once). Money updates are
        deduplicated by their charge id instead, so a lost claim can never drop one; a pre-checkout writes
        nothing and must be answered within 10 s."""
        return not cls.money(update) and update.pre_checkout_query is None

    async def process(self, update: Update | dict[str, Any]) -> None:
        """Handle one update (functions/telegram_webhook.py parses and checks it first)."""
        if not self._ready:
            await self.app.initialize()
            self._ready = True
            await register_commands(self.c)
        if not isinstance(update, Update):
            update = Update.de_json(update, self.app.bot)
        if self.money(update):
            # Not through PTB's dispatch: it hands a handler's error to on_error and the webhook would
            # answer 200. Here the error reaches the webhook, which answers non-2xx: Telegram redelivers.
            message = update.message
            await (self.handlers.paid if message.successful_payment else self.handlers.refunded)(update)
            return
        await self.app.process_update(update)


OPEN_IN_MAINTENANCE = ("paysupport", "terms")  # payments are credited even then (they skip `entry`)


async def _nothing() -> None:
    return None


async def register_commands(c: "Container") -> None:
    """setMyCommands in Russian (default) and English, once per change of the list (1 read per cold start)."""
    lists = {lang: [BotCommand(name, text) for name, text in replies.commands(lang)] for lang in ("ru", "en")}
    digest = hashlib.sha256(repr({k: [(b.command, b.description) for b in v] for k, v in lists.items()}).encode()).hexdigest()
    try:
        stored = await c.store.system.get_setting("bot_commands")
        if stored and stored.get("digest") == digest:
            return
        await c.bot.set_my_commands(lists["ru"])
        for lang, commands in lists.items():
            await c.bot.set_my_commands(commands, language_code=lang)
        await c.store.system.set_setting("bot_commands", {"digest": digest, "commands": [b.command for b in lists["ru"]]})
    except TelegramError as err:  # never block an update on this; the next cold start tries again
        log.warning("setMyCommands failed: %s", err)
