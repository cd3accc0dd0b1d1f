"""The catalog: category pages, the free models, a model's card, and the search."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import catalog as offers
from shared.domain import health as model_health
from shared.domain.typed import too_short_for_a_prompt
from shared.domain.users import User
from shared.domain.validation import strip_controls
from shared.telegram import reply
from shared.ui import catalog, talk
from shared.ui.format import clip
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container

SEARCH_MAX_CHARS = 100  # a longer message is searched (and echoed) by its beginning
TEXT_MAX_CHARS = 4000  # a free text kept as a prompt (each model's own limit is checked when it is used)


async def page(c: "Container", update: Update, user: User, category: str = "image", number: str = "0") -> None:
    if category == "free":
        models = await offers.free_models(c)
        found = await offers.offers(c, user.user_id, models)
        await reply.show(update, catalog.free_page(user.language, models, found, c.settings.free_daily_limit,
                                                   await c.model_health()))
        return
    models = await offers.in_category(c, category)
    found = await offers.offers(c, user.user_id, models)
    await reply.show(update, catalog.catalog_page(user.language, category, models, found, int(number or 0),
                                                  await c.model_health()))


async def card(c: "Container", update: Update, user: User, model_id: str, back: str | None = None) -> None:
    model = await offers.available(c, model_id)
    if model is None:
        await reply.send(update, catalog.unavailable(user.language, c.catalog.get(model_id)))
        return
    found = await offers.offers(c, user.user_id, [model])
    health = await c.model_health()
    alternative = model_health.alternative(model, await offers.in_category(c, model.category), health)
    await reply.show(update, catalog.model_card(user.language, model, found[model.id], health.get(model.id),
                                                alternative, back))


async def card_from(c: "Container", update: Update, user: User, origin: str, number: str, model_id: str) -> None:
    """A model's card opened from a list: its Back returns to the same page of that list."""
    await card(c, update, user, model_id, catalog.list_page(origin, int(number)))


async def ask_search(c: "Container", update: Update, user: User) -> None:
    await c.store.users.set_fields(user.user_id, awaiting="search")
    await reply.send(update, say(user.language, "search_prompt"))


async def search(c: "Container", update: Update, user: User, text: str) -> None:
    """Models whose names (in Latin or Cyrillic), descriptions or category words hold every word typed; when
    none do, the text is offered as a prompt to the models that can run it (one write: the text kept)."""
    query = clip(strip_controls(text), SEARCH_MAX_CHARS)
    found = catalog.search_models(await c.enabled_models(), query)
    kept = {"last_search": query} if found else {"last_text": strip_controls(text)[:TEXT_MAX_CHARS]}
    await c.store.users.set_fields(user.user_id, awaiting=None, **kept)
    if found:
        await reply.show(update, catalog.search_results(user.language, query, found,
                                                        await offers.offers(c, user.user_id, found),
                                                        health=await c.model_health()))
        return
    if too_short_for_a_prompt(query):  # "привет", "ок": not a description of anything
        await reply.show(update, say(user.language, "small_talk"))
        return
    models = await offers.for_text(c, "image", 4) + await offers.for_text(c, "video", 2)
    await reply.show(update, talk.from_text(user.language, query, models, await offers.offers(c, user.user_id, models)))


async def search_page(c: "Container", update: Update, user: User, number: str) -> None:
    """Another page of the last search's results."""
    query = user.last_search or ""
    found = catalog.search_models(await c.enabled_models(), query) if query else []
    await reply.show(update, catalog.search_results(user.language, query, found,
                                                    await offers.offers(c, user.user_id, found), int(number),
                                                    await c.model_health()))
