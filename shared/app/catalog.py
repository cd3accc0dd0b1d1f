"""What the catalog costs this user: each model's offer (exact, "from", or per unit; free uses left), the
exact price of a draft, and the models admins have not switched off."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.jobs import Job
from shared.domain.quote import Offer, Quote, min_run_kopecks, quote_job, quote_kopecks

if TYPE_CHECKING:
    from shared.bootstrap import Container


async def offers(c: "Container", user_id: int, models: list[ModelSpec]) -> dict[str, Offer]:
    """Catalog prices: exact for flat-priced models, 'from' or per unit where options change the price."""
    free = set(await c.free_tier())
    limit = c.settings.free_daily_limit
    usage = await c.store.users.free_usage(user_id) if free & {m.id for m in models} else {}
    s, truth = c.settings, c.pricing.truth
    found = {}
    for m in models:
        price, unit = min_run_kopecks(m, truth, s.fx_rate, s.pricing_markup)
        varies = len({r.usd for r in truth.rules.get(m.id, [])}) > 1
        free_left = max(0, limit - usage.get(m.id, 0)) if m.id in free else None
        default = quote_kopecks(m, truth, {}, None, s.fx_rate, s.pricing_markup) if varies and not unit else None
        found[m.id] = Offer(price=price, free_left=free_left, limit=limit, varies=varies, unit=unit,
                            default_price=default)
    return found


async def offer(c: "Container", user_id: int, job: Job, model: ModelSpec) -> Offer:
    """The exact price of this run with its options."""
    s = c.settings
    price = quote_kopecks(model, c.pricing.truth, job.inputs, job.media, s.fx_rate, s.pricing_markup)
    listed = (await offers(c, user_id, [model]))[model.id]
    return Offer(price=price, free_left=listed.free_left, limit=listed.limit)


def quote_rule(c: "Container", model: ModelSpec, is_free: bool) -> Callable[[Job], Quote]:
    """The pure pricing the confirm transaction applies to the draft it reads."""
    s, truth = c.settings, c.pricing.truth
    return lambda job: quote_job(model, truth, job, is_free, s.fx_rate, s.pricing_markup)


async def available(c: "Container", model_id: str) -> ModelSpec | None:
    """A catalog model that admins have not switched off."""
    return next((m for m in await c.enabled_models() if m.id == model_id), None)


async def free_models(c: "Container") -> list[ModelSpec]:
    """The free tier's models that are on, in the tier's order."""
    free = await c.free_tier()
    return sorted([m for m in await c.enabled_models() if m.id in free], key=lambda m: free.index(m.id))


async def in_category(c: "Container", category: str) -> list[ModelSpec]:
    return [m for m in await c.enabled_models() if m.category == category]


def names(c: "Container", lang: str) -> dict[str, str]:
    """Model ids to their names, for lists of past operations."""
    return {m.id: m.name.get(lang) for m in c.catalog.models}


async def for_text(c: "Container", output: str, count: int) -> list[ModelSpec]:
    """Models a typed text alone can run (a prompt and no file needed) of one output: free ones first, then the
    cheapest."""
    def takes_text_alone(m: ModelSpec) -> bool:
        prompt = any(f.name == "prompt" and f.type == "text" for f in m.fields)
        return prompt and not m.one_of_required and not any(f.is_media and f.required for f in m.fields)

    free = await c.free_tier()
    s = c.settings
    fitting = [m for m in await c.enabled_models() if m.output == output and takes_text_alone(m)]
    fitting.sort(key=lambda m: (m.id not in free, min_run_kopecks(m, c.pricing.truth, s.fx_rate, s.pricing_markup)[0]))
    return fitting[:count]


def file_field(model: ModelSpec, kind: str) -> FieldSpec | None:
    """The input a file of `kind` (image, audio, video) goes to: the model's first required one of that kind."""
    return next((f for f in model.fields if f.is_media and f.required and f.type == kind), None)


async def for_file(c: "Container", kind: str) -> list[ModelSpec]:
    """What can be done with a file sent with no order: for a photo, edit it, upscale or clear its background,
    animate it (two of each, cheapest first); for audio or video, the models that take one."""
    s = c.settings
    def takes_it_alone(m: ModelSpec) -> bool:  # no other file needed (a talking photo wants audio too)
        required = [f for f in m.fields if f.is_media and f.required]
        return bool(required) and all(f.type == kind for f in required) and not m.one_of_required

    fitting = [m for m in await c.enabled_models() if takes_it_alone(m)]
    fitting.sort(key=lambda m: min_run_kopecks(m, c.pricing.truth, s.fx_rate, s.pricing_markup)[0])
    if kind != "image":
        return fitting[:4]
    return [m for category in ("image", "tools", "video") for m in [x for x in fitting if x.category == category][:2]]
