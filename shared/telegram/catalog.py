"""The catalog: category pages, the free models, a model's card, and the search."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update

from shared.app import catalog as offers
from shared.domain import health as model_health
from shared.domain.users import User
from shared.domain.validation import strip_controls
from shared.telegram import reply
from shared.ui import catalog
from shared.ui.format import clip
from shared.ui.replies import say

if TYPE_CHECKING:
    from shared.bootstrap import Container

SEARCH_MAX_CHARS = 100  # a longer message is searched (and echoed) by its beginning


async def page(c: "Container", update: Update, user: User, category: str = "image", number: str = "0") -> None:
    if category == "free":
        models = await offers.free_models(c)
        found = await offers.offers(c, user.user_id, models)
        await reply.show(update, catalog.free_page(user.language, models, found, c.settings.free_daily_limit))
        return
    models = await offers.in_category(c, category)
    found = await offers.offers(c, user.user_id, models)
    await reply.show(update, catalog.catalog_page(user.language, category, models, found, int(number or 0),
                                                  await c.model_health()))


async def card(c: "Container", update: Update, user: User, model_id: str) -> None:
    model = await offers.available(c, model_id)
    if model is None:
        await reply.send(update, catalog.unavailable(user.language, c.catalog.get(model_id)))
        return
    found = await offers.offers(c, user.user_id, [model])
    health = await c.model_health()
    alternative = model_health.alternative(model, await offers.in_category(c, model.category), health)
    await reply.show(update, catalog.model_card(user.language, model, found[model.id], health.get(model.id),
                                                alternative))


async def ask_search(c: "Container", update: Update, user: User) -> None:
    await c.store.users.set_fields(user.user_id, awaiting="search")
    await reply.send(update, say(user.language, "search_prompt"))


async def search(c: "Container", update: Update, user: User, text: str) -> None:
    """Models whose names, descriptions or category words hold every word typed."""
    query = clip(strip_controls(text), SEARCH_MAX_CHARS)
    if user.awaiting:
        await c.store.users.set_fields(user.user_id, awaiting=None)
    found = catalog.search_models(await c.enabled_models(), query)
    await reply.show(update, catalog.search_results(user.language, query, found,
                                                    await offers.offers(c, user.user_id, found)))
