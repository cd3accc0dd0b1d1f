"""What every routed update passes before its feature runs: the rate limits, the callback's answer, the user
(loaded, or created with their bonuses), bans, maintenance (open only to routes that say so) and the admin
guard. Payments and pre-checkouts do not come through here (shared/telegram/webhook.py)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from shared.app import users
from shared.domain.ratelimit import Buckets
from shared.domain.users import User, lang_of
from shared.lazy import resolve
from shared.logs import mask_user
from shared.telegram import reply, routes, updates
from shared.telegram.routes import Route
from shared.ui import callbacks as cb
from shared.ui import talk
from shared.ui.replies import referral_welcome, say, welcome_bonus

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bot")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Middleware:
    def __init__(self, c: "Container"):
        self.c = c
        # Per-user rate limits, in this instance's memory (the one exception to "no state in memory"):
        # 0 Firestore operations, and a bound of the limit times the number of webhook instances.
        self._updates = Buckets(c.settings.user_updates_per_minute)
        self._uploads = Buckets(c.settings.user_uploads_per_minute)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.c.settings.admin_ids

    def wrap(self, route: Route) -> Handler:
        """The PTB callback of a route; TEXT picks its route by what the bot waits for (routes.AWAITING)."""
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_user is None or update.effective_chat is None:
                return
            if await self._rate_limited(update, route):
                return
            if update.callback_query:
                await update.callback_query.answer()  # always, and first
            arrival = await users.arrive(self.c, updates.profile(update),
                                         updates.start_payload(update, context.args if isinstance(context.args, list)
                                                               else None))
            user = arrival.user
            chosen = routes.chosen(route, user.awaiting, self.is_admin(user.user_id), self._replied_to(update),
                                   updates.text_of(update))
            if await self._open(update, user, chosen):
                await self._welcome(update, arrival)
                if await self._guarded(update, user, chosen):
                    args = cb.parse(update.callback_query.data).args if update.callback_query else ()
                    await resolve(chosen.target)(self.c, update, user, *args)
                    if chosen.parks:
                        await resolve(routes.PARK)(self.c, update, user)

        return run

    def loose(self, target: str) -> Handler:
        """The PTB callback of a target outside the middleware, called as target(container, update)."""
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await resolve(target)(self.c, update)

        return run

    async def _open(self, update: Update, user: User, route: Route) -> bool:
        """Banned users get the ban notice and nothing else but support; everyone but admins gets one short
        line in maintenance, on the routes not open in it (new generations)."""
        if user.banned and not route.open_to_banned:
            await reply.send(update, talk.banned(user.language, self.c.settings.support_contact))
            return False
        if (not self.is_admin(user.user_id) and not route.open_in_maintenance
                and (await self.c.runtime())["maintenance"]):
            await reply.send(update, say(user.language, "maintenance"))
            return False
        return True

    def _replied_to(self, update: Update) -> str | None:
        """The text of the bot's own message a typed message replies to (support answers are such replies)."""
        message = update.message
        replied = message.reply_to_message if message else None
        if replied is None or replied.from_user is None or replied.from_user.id != self.c.bot.id:
            return None
        return replied.text or replied.caption

    async def _welcome(self, update: Update, arrival: users.Arrival) -> None:
        """The bonuses of a first contact, told once."""
        lang = arrival.user.language
        if arrival.start_bonus:
            await reply.send(update, welcome_bonus(lang, arrival.start_bonus))
        if arrival.welcome_bonus:
            await reply.send(update, referral_welcome(lang, arrival.welcome_bonus))

    async def _guarded(self, update: Update, user: User, route: Route) -> bool:
        """An admin route answers anyone else as an unknown command or button would: nothing hints at a panel."""
        if not route.admin or self.is_admin(user.user_id):
            return True
        log.warning("non-admin tried an admin route", extra={"user": mask_user(user.user_id)})
        await reply.send(update, say(user.language, "stale" if update.callback_query else "unknown"))
        return False

    async def _rate_limited(self, update: Update, route: Route) -> bool:
        """True when the user is over their limit of updates per minute (or of uploads, for a file): they get
        one short line per streak and nothing else is done, not even a Firestore read. Admins are never
        limited."""
        user_id = update.effective_user.id
        if self.is_admin(user_id):
            return False
        allowed, tell = self._updates.take(user_id)
        if allowed and route.upload:
            allowed, tell = self._uploads.take(user_id)
        if not allowed and tell:
            try:
                await reply.send(update, say(lang_of(update.effective_user.language_code), "rate_limited"))
            except TelegramError as err:
                log.info("rate-limit notice not sent: %s", err)
        return not allowed
