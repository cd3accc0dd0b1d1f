"""Telegram handlers: parse the update, call the store, render a screen, reply. No state in memory."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.chains import chain
from shared.domain.jobs import ErrorCode, Job, JobState, new_job_id, new_request_id
from shared.domain.pricing import format_rub, rub_to_kopecks
from shared.domain.quote import min_run_kopecks, quote_kopecks
from shared.domain.validation import InputProblem, InvalidInput, build_payload, check_value, missing_asked_field
from shared.logs import mask_user
from shared.clients.kie import KieError
from shared.domain.media import check_file, check_size
from shared.services import delivery, generation, media_input
from shared.services.keyboards import keyboard
from shared.storage.firestore import Profile, User
from shared.ui import callbacks as cb
from shared.ui import screens
from shared.ui.screens import Offer, Screen
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bot")
Ctx = ContextTypes.DEFAULT_TYPE


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
        """Catalog prices: exact for flat-priced models, 'from' or per unit where options change the price."""
        free = set(await self.c.free_tier())
        limit = self.c.settings.free_daily_limit
        usage = await self.c.store.free_usage(user_id) if free & {m.id for m in models} else {}
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
            cb.DONE: self._done_files, cb.PAGE: self._page, cb.REPEAT: self._repeat, cb.REPROMPT: self._reprompt, cb.CHAIN: self._chain,
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
                                                               reply_markup=keyboard(screen.buttons))
            await self.c.store.update_draft(job.id, screen_message_id=message.message_id)
        else:
            await self._show(update, screen)

    async def _confirmation(self, user: User, job: Job, model: ModelSpec) -> Screen:
        return screens.confirm_screen(user.language, job, model, await self._quote(user, job, model),
                                      user.balance_kopecks)

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

    async def _page(self, update: Update, user: User, job_id: str, index: str, page: str) -> None:
        job = await self._job_for(update, job_id, user.language)
        if job is None:
            return
        model = self.c.catalog.get(job.model_id)
        field = model.fields[int(index)]
        if job.editing == field.name:
            await self._show(update, screens.option_picker(user.language, job, model, field, int(page)))
            return
        asked = model.asked
        step = asked.index(field) + 1 if field in asked else 1
        await self._show(update, screens.wizard_step(user.language, job, model, field, step, len(asked), int(page)))

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
        skipped = job.skipped
        if field.name not in job.inputs and not field.required:
            skipped = [*job.skipped, field.name]
        await self.c.store.update_draft(job.id, skipped=skipped, editing=None)
        await self._next(update, user, job.model_copy(update={"skipped": skipped, "editing": None}), model)

    async def _cancel(self, update: Update, user: User, job_id: str) -> None:
        job = await self.c.store.get_job(job_id)
        if job and job.user_id == user.user_id and job.state == JobState.AWAITING_INPUT:
            await self.c.store.move(job.id, JobState.CANCELLED)
            await self.c.store.set_user_fields(user.user_id, draft_job_id=None)
        await self._show(update, screens.notice(user.language, "cancelled"))

    async def _finished_job(self, update: Update, user: User, job_id: str) -> Job | None:
        job = await self.c.store.get_job(job_id)
        if job is None or job.user_id != user.user_id or not job.terminal:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return None
        return job

    async def _draft_from(self, update: Update, user: User, model: ModelSpec, inputs: dict[str, Any],
                          media: dict[str, list[dict]], skipped: list[str]) -> None:
        """A new draft prefilled from an earlier run; the wizard asks what is missing, then shows the price."""
        if not model.enabled:
            await update.effective_chat.send_message(t(user.language, "stale"))
            return
        job = Job(id=new_job_id(), user_id=user.user_id, chat_id=update.effective_chat.id, lang=user.language,
                  model_id=model.id, inputs=inputs, media=media, skipped=skipped)
        await self.c.store.create_draft(job)
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
        if job is None or link is None or not job.result_urls:
            return
        target = self.c.catalog.get(link.model_id)
        field = target.field(link.field)
        if link.source == "task":
            await self._draft_from(update, user, target, {field.name: job.kie_task_id}, {}, [])
            return
        url = job.result_urls[0]
        meta = await media_input.probe_url(url)
        value = [url] if field.multiple else url
        await self._draft_from(update, user, target, {field.name: value}, {field.name: [{**meta, "url": url}]}, [])

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
        offer = await self._quote(user, job, model)
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
        eta = t(lang, f"eta_{model.output}")
        status_id = await self._show(update, Screen(t(lang, "started", name=screens.esc(model.name.get(lang)), eta=eta,
                                                      rq=confirmed.request_id)))
        await self.c.store.move(job.id, JobState.QUEUED, status_message_id=status_id)
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
        """A file for the wizard's media step: check, fetch from Telegram, upload to file storage, attach."""
        lang = user.language
        job = await self.c.store.get_job(user.draft_job_id) if user.draft_job_id else None
        if not job or job.state != JobState.AWAITING_INPUT:
            await update.effective_chat.send_message(t(lang, "unknown"))
            return
        model = self.c.catalog.get(job.model_id)
        collecting = model.field(job.editing) if job.editing else None
        field = collecting if collecting and collecting.is_media else missing_asked_field(model, job.inputs, job.skipped)
        incoming = media_input.incoming_file(update.effective_message)
        if incoming and (field is None or not field.is_media):
            # On the confirmation screen a new file replaces a single input or adds to a list.
            field = next((f for f in model.fields if f.is_media and f.type == incoming.kind and f.name in job.inputs),
                         field)
        if field is None or not field.is_media or incoming is None:
            if not (incoming and incoming.media_group and incoming.media_group in job.media_groups):
                await self._next(update, user, job, model, new_message=True)
            return
        if incoming.media_group and incoming.media_group in job.media_groups and not field.multiple:
            return  # the rest of an album sent to a one-file step
        try:
            check_file(field, incoming)
            await update.effective_chat.send_action(delivery.ACTION.get(field.type, "typing"))
            data = await media_input.download(self.c.bot, incoming.file_id)
            check_size(field, len(data))
            meta = media_input.probe(incoming, data)
            if field.type == "audio" and not meta["duration_s"]:
                raise InvalidInput(InputProblem(field=field.name, code="unknown_duration"))
            check_file(field, replace(incoming, duration_s=meta["duration_s"]))
        except InvalidInput as err:
            await update.effective_chat.send_message(screens.problem_text(lang, err.problem), parse_mode=ParseMode.HTML)
            return
        try:
            url = await self.c.kie.upload_bytes(data, incoming.file_name, upload_path=f"users/{user.user_id}")
        except KieError as err:
            log.warning("upload failed: %s", err, extra={"job_id": job.id})
            await update.effective_chat.send_message(t(lang, "bad_value", problem=t(lang, "problem_upload_failed")))
            return
        status, job = await self.c.store.add_media(job.id, field.name, url, {**meta, "url": url}, field.multiple,
                                                   field.max_count or 1, incoming.media_group)
        if status == "full":
            await update.effective_chat.send_message(
                t(lang, "bad_value", problem=t(lang, "problem_too_many_files", max=field.max_count)))
        elif job is not None and job.editing is None:  # the step is complete
            await self._next(update, user, job, model, new_message=True)
        elif status == "added":
            index = model.fields.index(field)
            screen = Screen(t(lang, "media_received", count=len(job.media[field.name]), max=field.max_count),
                            [[(t(lang, "btn_done"), cb.make(cb.DONE, job.id, index))],
                             [(t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))]])
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
