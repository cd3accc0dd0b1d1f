"""Telegram handlers: parse the update, call the store, render a screen, reply. No state in memory."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.jobs import ErrorCode, Job, JobState, new_job_id, new_request_id
from shared.domain.pricing import format_rub, rub_to_kopecks
from shared.domain.validation import InvalidInput, build_payload, check_value, missing_asked_field
from shared.logs import mask_user
from shared.services import generation
from shared.storage.firestore import Profile, User
from shared.ui import callbacks as cb
from shared.ui import screens
from shared.ui.screens import Offer, Screen
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bot")
Ctx = ContextTypes.DEFAULT_TYPE


def keyboard(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in screen.buttons])


class Handlers:
    def __init__(self, c: "Container"):
        self.c = c

    # --- helpers -------------------------------------------------------------
    async def _user(self, update: Update) -> tuple[User, bool]:
        tg = update.effective_user
        chat = update.effective_chat
        profile = Profile(user_id=tg.id, chat_id=chat.id if chat else tg.id, username=tg.username,
                          first_name=tg.first_name, language_code=tg.language_code)
        return await self.c.store.touch_user(profile, rub_to_kopecks(self.c.settings.start_bonus_rub))

    async def _offers(self, user_id: int, models: list[ModelSpec]) -> dict[str, Offer]:
        free = set(await self.c.free_tier())
        limit = self.c.settings.free_daily_limit
        usage = await self.c.store.free_usage(user_id) if free & {m.id for m in models} else {}
        prices = self.c.pricing.prices
        return {m.id: Offer(price=prices[m.id], free_left=max(0, limit - usage.get(m.id, 0)) if m.id in free else None,
                            limit=limit) for m in models}

    async def _show(self, update: Update, screen: Screen) -> int:
        """Edit the message a button belongs to; otherwise send a new one."""
        query = update.callback_query
        markup = keyboard(screen)
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
        job = await self.c.store.get_job(job_id)
        if job is None or job.user_id != update.effective_user.id or job.state != JobState.AWAITING_INPUT:
            text = t(lang, "already_running") if job and job.state in (JobState.QUEUED, JobState.RUNNING) else t(lang, "stale")
            await update.effective_chat.send_message(text)
            return None
        return job

    # --- entry ---------------------------------------------------------------
    def entry(self, handler: Callable[[Update, User], Awaitable[None]]) -> Callable[[Update, Ctx], Awaitable[None]]:
        """Load (or create) the user for every update; banned users get one short line and nothing else."""

        async def run(update: Update, context: Ctx) -> None:
            if update.effective_user is None or update.effective_chat is None:
                return
            if update.callback_query:
                await update.callback_query.answer()  # always, and first
            user, created = await self._user(update)
            if user.banned:
                await update.effective_chat.send_message(t(user.language, "banned"))
                return
            if created and self.c.settings.start_bonus_rub > 0:
                amount = format_rub(rub_to_kopecks(self.c.settings.start_bonus_rub))
                await update.effective_chat.send_message(t(user.language, "bonus_granted", amount=amount),
                                                         parse_mode=ParseMode.HTML)
            await handler(update, user)

        return run

    # --- commands --------------------------------------------------------------
    async def start(self, update: Update, user: User) -> None:
        """/start: welcome, balance, main menu."""
        lang = user.language
        if user.awaiting:
            await self.c.store.set_user_fields(user.user_id, awaiting=None)
        free = await self.c.free_tier()
        await self._show(update, screens.main_menu(lang, user.balance_kopecks, len(self.c.catalog.enabled()),
                                                   len(free), self.c.settings.free_daily_limit, welcome=True))

    async def help(self, update: Update, user: User) -> None:
        """/help."""
        free = await self.c.free_tier()
        await self._show(update, screens.help_screen(user.language, len(free), self.c.settings.free_daily_limit))

    async def unknown_command(self, update: Update, user: User) -> None:
        await update.effective_chat.send_message(t(user.language, "unknown"))

    # --- buttons ---------------------------------------------------------------
    async def button(self, update: Update, user: User) -> None:
        """Every inline button (already answered by entry), routed by its verb."""
        data = cb.parse(update.callback_query.data)
        route = {
            cb.HOME: self._home, cb.HELP: self._help, cb.BALANCE: self._balance, cb.SEARCH: self._search_prompt,
            cb.CATALOG: self._catalog, cb.MODEL: self._card, cb.START: self._begin, cb.SET: self._set_choice,
            cb.EDIT: self._edit, cb.REVIEW: self._review, cb.CONFIRM: self._confirm, cb.CANCEL: self._cancel,
            cb.DONE: self._done_files,
        }.get(data.verb)
        if route is not None:
            await route(update, user, *data.args)

    async def _help(self, update: Update, user: User) -> None:
        await self.help(update, user)

    async def _home(self, update: Update, user: User) -> None:
        free = await self.c.free_tier()
        await self._show(update, screens.main_menu(user.language, user.balance_kopecks, len(self.c.catalog.enabled()),
                                                   len(free), self.c.settings.free_daily_limit, welcome=False))

    async def _balance(self, update: Update, user: User) -> None:
        entries = await self.c.store.ledger_for(user.user_id)
        entries.sort(key=lambda e: e["created_at"], reverse=True)
        await self._show(update, screens.balance_screen(user.language, user.balance_kopecks, entries[:5]))

    async def _search_prompt(self, update: Update, user: User) -> None:
        await self.c.store.set_user_fields(user.user_id, awaiting="search", draft_job_id=None)
        await update.effective_chat.send_message(t(user.language, "search_prompt"), parse_mode=ParseMode.HTML)

    async def _catalog(self, update: Update, user: User, category: str = "image", page: str = "0") -> None:
        enabled = self.c.catalog.enabled()
        if category == "free":
            free = await self.c.free_tier()
            models = [m for m in (self.c.catalog.get(i) for i in free) if m and m.enabled]
            offers = await self._offers(user.user_id, models)
            await self._show(update, screens.free_page(user.language, models, offers, self.c.settings.free_daily_limit))
            return
        models = [m for m in enabled if m.category == category]
        offers = await self._offers(user.user_id, models)
        await self._show(update, screens.catalog_page(user.language, category, models, offers, int(page or 0)))

    async def _card(self, update: Update, user: User, model_id: str) -> None:
        model = self.c.catalog.get(model_id)
        if model is None or not model.enabled:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        offers = await self._offers(user.user_id, [model])
        await self._show(update, screens.model_card(user.language, model, offers[model.id]))

    async def _begin(self, update: Update, user: User, model_id: str) -> None:
        """Start the wizard: the draft job document holds the answers."""
        model = self.c.catalog.get(model_id)
        if model is None or not model.enabled:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        job = Job(id=new_job_id(), user_id=user.user_id, chat_id=update.effective_chat.id, lang=user.language,
                  model_id=model.id)
        await self.c.store.create_draft(job)
        await self._next(update, user, job, model)

    async def _next(self, update: Update, user: User, job: Job, model: ModelSpec, new_message: bool = False) -> None:
        """Show the next unanswered step, or the confirmation screen when all are answered."""
        field = missing_asked_field(model, job.inputs, job.skipped)
        if field is None:
            screen = await self._confirmation(user, job, model)
        else:
            asked = model.asked
            screen = screens.wizard_step(user.language, job, model, field, asked.index(field) + 1, len(asked))
        if new_message:
            message = await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML,
                                                               reply_markup=keyboard(screen))
            await self.c.store.update_draft(job.id, screen_message_id=message.message_id)
        else:
            await self._show(update, screen)

    async def _confirmation(self, user: User, job: Job, model: ModelSpec) -> Screen:
        offers = await self._offers(user.user_id, [model])
        return screens.confirm_screen(user.language, job, model, offers[model.id], user.balance_kopecks)

    async def _set_choice(self, update: Update, user: User, job_id: str, index: str, choice: str) -> None:
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        field = model.fields[int(index)]
        inputs, skipped = dict(job.inputs), list(job.skipped)
        if choice == "d":
            inputs.pop(field.name, None)
            skipped.append(field.name)
        else:
            options = screens.choices(field)
            inputs[field.name] = check_value(field, options[int(choice)])
        await self.c.store.update_draft(job.id, inputs=inputs, skipped=skipped, editing=None)
        job = job.model_copy(update={"inputs": inputs, "skipped": skipped, "editing": None})
        await self._next(update, user, job, model)

    async def _edit(self, update: Update, user: User, job_id: str, index: str) -> None:
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        field = model.fields[int(index)]
        await self.c.store.update_draft(job.id, editing=field.name)
        await self._show(update, screens.option_picker(user.language, job, model, field))

    async def _review(self, update: Update, user: User, job_id: str) -> None:
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return
        if job.editing:
            await self.c.store.update_draft(job.id, editing=None)
        await self._show(update, await self._confirmation(user, job, self.c.catalog.get(job.model_id)))

    async def _done_files(self, update: Update, user: User, job_id: str, index: str) -> None:
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        field = model.fields[int(index)]
        if field.name not in job.inputs and not field.required:
            await self.c.store.update_draft(job.id, skipped=[*job.skipped, field.name])
            job = job.model_copy(update={"skipped": [*job.skipped, field.name]})
        await self._next(update, user, job, model)

    async def _cancel(self, update: Update, user: User, job_id: str) -> None:
        job = await self.c.store.get_job(job_id)
        if job and job.user_id == user.user_id and job.state == JobState.AWAITING_INPUT:
            await self.c.store.move(job.id, JobState.CANCELLED)
            await self.c.store.set_user_fields(user.user_id, draft_job_id=None)
        await self._show(update, screens.notice(user.language, "cancelled"))

    async def _confirm(self, update: Update, user: User, job_id: str) -> None:
        """Validate everything, freeze the price, enqueue the worker. Nothing is charged here."""
        lang = user.language
        job = await self._job_for(update, job_id, lang)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        try:
            build_payload(model, job.inputs)
        except InvalidInput as err:
            await update.effective_chat.send_message(screens.problem_text(lang, err.problem), parse_mode=ParseMode.HTML)
            return
        offer = (await self._offers(user.user_id, [model]))[model.id]
        if not offer.is_free and user.balance_kopecks < offer.price:
            await self._show(update, await self._confirmation(user, job, model))
            await update.effective_chat.send_message(
                t(lang, "insufficient_funds", price=format_rub(offer.price), balance=format_rub(user.balance_kopecks)),
                parse_mode=ParseMode.HTML)
            return
        confirmed = await self.c.store.confirm(job.id, offer.price, offer.is_free, new_request_id())
        if confirmed is None:
            await update.effective_chat.send_message(t(lang, "already_running"))
            return
        await self.c.store.set_user_fields(user.user_id, draft_job_id=None)
        try:
            await generation.enqueue_start(self.c, confirmed)
        except Exception:  # the queue is down: end the job now, nothing was charged
            log.exception("enqueue failed", extra={"job_id": job.id, "request_id": confirmed.request_id})
            await self.c.store.move(job.id, JobState.FAILED, error_code=ErrorCode.INTERNAL.value)
            await self._show(update, Screen(t(lang, "not_started", rq=confirmed.request_id)))
            return
        await self.c.store.move(job.id, JobState.QUEUED)
        eta = t(lang, f"eta_{model.output}")
        await self._show(update, Screen(t(lang, "started", name=screens.esc(model.name.get(lang)), eta=eta,
                                          rq=confirmed.request_id)))
        log.info("job confirmed", extra={"job_id": job.id, "request_id": confirmed.request_id,
                                         "user": mask_user(user.user_id), "model_id": model.id})

    # --- text ------------------------------------------------------------------
    async def text(self, update: Update, user: User) -> None:
        """Free text: the wizard's current text step, else a model search."""
        text = update.effective_message.text or ""
        job = await self.c.store.get_job(user.draft_job_id) if user.draft_job_id else None
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
            await update.effective_chat.send_message(screens.problem_text(lang, err.problem), parse_mode=ParseMode.HTML)
            return
        inputs = {**job.inputs, field.name: value}
        await self.c.store.update_draft(job.id, inputs=inputs, editing=None)
        await self._next(update, user, job.model_copy(update={"inputs": inputs, "editing": None}), model, new_message=True)

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
        if user.awaiting:
            await self.c.store.set_user_fields(user.user_id, awaiting=None)
        found = screens.search_models(self.c.catalog.enabled(), query)
        offers = await self._offers(user.user_id, found)
        await self._show(update, screens.search_results(user.language, query, found, offers))

    async def media(self, update: Update, user: User) -> None:
        """Files arrive in the wizard's media steps (uploaded to the provider's file storage)."""
        job = await self.c.store.get_job(user.draft_job_id) if user.draft_job_id else None
        if not job or job.state != JobState.AWAITING_INPUT:
            await update.effective_chat.send_message(t(user.language, "unknown"))
            return
        model = self.c.catalog.get(job.model_id)
        field = missing_asked_field(model, job.inputs, job.skipped)
        if field is None or not field.is_media:
            await self._next(update, user, job, model, new_message=True)
            return
        await update.effective_chat.send_message(t(user.language, "media_not_yet", what=t(user.language, f"what_{field.type}")))

    async def on_error(self, update: object, context: Ctx) -> None:
        rq = new_request_id()
        log.error("handler failed: %s", context.error, exc_info=context.error, extra={"request_id": rq})
        if isinstance(update, Update) and update.effective_chat:
            lang = "en" if (update.effective_user and (update.effective_user.language_code or "").startswith("en")) else "ru"
            try:
                await update.effective_chat.send_message(t(lang, "error_generic", rq=rq), parse_mode=ParseMode.HTML)
            except Exception:  # the error path must not raise
                log.exception("could not report the error to the user")


def build_application(c: "Container") -> Application:
    """The one place that registers every handler."""
    app = Application.builder().bot(c.bot).updater(None).build()
    h = Handlers(c)
    app.add_handler(CommandHandler("start", h.entry(h.start)))
    app.add_handler(CommandHandler("help", h.entry(h.help)))
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
        self.app = build_application(c)
        self._ready = False

    async def process(self, payload: dict[str, Any]) -> None:
        if not self._ready:
            await self.app.initialize()
            self._ready = True
        await self.app.process_update(Update.de_json(payload, self.app.bot))
