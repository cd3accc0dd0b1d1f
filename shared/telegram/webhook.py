"""The webhook's application: the routes registered with python-telegram-bot (shared/telegram/routes.py), the
money updates handled outside its dispatch, the bot's command list, and the reply to an error."""
from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler,
                          PreCheckoutQueryHandler, filters)

from shared.domain.jobs import new_request_id
from shared.domain.users import lang_of
from shared.lazy import resolve
from shared.telegram import reply, routes
from shared.telegram.middleware import Middleware
from shared.ui import callbacks as cb
from shared.ui import replies

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bot")
FILES = filters.PHOTO | filters.Document.ALL | filters.AUDIO | filters.VOICE | filters.VIDEO


def build_application(c: "Container") -> Application:
    """Every route registered once, in the order PTB tries them; no feature is imported here."""
    app = Application.builder().bot(c.bot).updater(None).build()
    mw = Middleware(c)
    for name, route in routes.COMMANDS.items():
        app.add_handler(CommandHandler(name, mw.wrap(route)))
    app.add_handler(PreCheckoutQueryHandler(mw.loose(routes.PRECHECKOUT)))
    for verb, route in routes.BUTTONS.items():  # NOOP first: a button without data matches any pattern
        app.add_handler(CallbackQueryHandler(mw.wrap(route), pattern=cb.pattern(verb)))
    app.add_handler(CallbackQueryHandler(mw.wrap(routes.STALE_BUTTON)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, mw.wrap(routes.TEXT)))
    app.add_handler(MessageHandler(FILES, mw.wrap(routes.MEDIA)))
    app.add_handler(MessageHandler(filters.COMMAND, mw.wrap(routes.UNKNOWN_COMMAND)))
    app.add_error_handler(on_error)
    return app


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    rq = new_request_id()
    log.error("handler failed: %s", context.error, exc_info=context.error, extra={"request_id": rq})
    if isinstance(update, Update) and update.effective_chat:
        lang = lang_of(update.effective_user.language_code if update.effective_user else None)
        try:
            await reply.send(update, replies.error(lang, rq))
        except Exception:  # the error path must not raise
            log.exception("could not report the error to the user")


class Webhook:
    """The webhook's application, initialized on the first update (one getMe per instance)."""

    def __init__(self, c: "Container"):
        self.c = c
        self.app = build_application(c)
        self._ready = False

    @staticmethod
    def money(update: Update) -> str | None:
        """A payment or a refund of one (its kind): keyed by its charge id, never dropped, never rate-limited."""
        message = update.message
        if message is None:
            return None
        return next((kind for kind in routes.MONEY if getattr(message, kind) is not None), None)

    @classmethod
    def needs_claim(cls, update: Update) -> bool:
        """Whether the webhook claims the update id before handling (at most once). Money updates are
        deduplicated by their charge id instead, so a lost claim can never drop one; a pre-checkout writes
        nothing and must be answered within 10 s."""
        return cls.money(update) is None and update.pre_checkout_query is None

    async def process(self, update: Update | dict[str, Any]) -> None:
        """Handle one update (functions/telegram_webhook.py parses and checks it first)."""
        if not self._ready:
            await self.app.initialize()
            self._ready = True
            await register_commands(self.c)
        if not isinstance(update, Update):
            update = Update.de_json(update, self.app.bot)
        kind = self.money(update)
        if kind:
            # Not through PTB's dispatch: it hands a handler's error to on_error and the webhook would
            # answer 200. Here the error reaches the webhook, which answers non-2xx: Telegram redelivers.
            await resolve(routes.MONEY[kind])(self.c, update)
            return
        await self.app.process_update(update)


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
