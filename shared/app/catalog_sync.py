"""The catalog sync (catalog_sync, daily; on demand from /admin through a worker task): read the provider's
model list, each of our models' input schema and price, and the public price feed; compare them with our
catalog and pricing truth (shared/domain/catalog_sync.py); store the drift report; hide the models the
provider no longer lists (and show them again when it does); tell admins when something changed. Prices are
never changed here: the report proposes pricing-truth lines."""
from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.app import alerts, health
from shared.app.tasks import Outcome
from shared.clients import telegram
from shared.clients.discovery import Discovery
from shared.clients.kie import KieError
from shared.domain import catalog_sync as sync
from shared.domain import health as model_health
from shared.domain.clock import utcnow
from shared.ui.admin import sync as screens

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("catalog_sync")


async def on_demand(c: "Container", admin_id: int) -> Outcome:
    """An admin's "sync now" (a worker task): the admin who asked hears back even when nothing changed."""
    await run(c, asked_by=admin_id, with_rates=False)  # the worker's time limit: the daily run reads the rates
    return Outcome.DONE


async def run(c: "Container", asked_by: int | None = None, with_rates: bool = True) -> dict[str, Any]:
    """One sync; its report (also stored as catalog_sync/{run_id} and catalog_sync/latest)."""
    run_id = utcnow().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    discovery = Discovery(c.kie, gap_s=c.settings.catalog_sync_gap_s)
    previous = await c.store.catalog_sync.latest() or {}
    hidden = (await c.store.admin.runtime())["delisted_models"]
    report: dict[str, Any] = {"started_at": utcnow(), "ok": True}
    try:
        report.update(await _compare(c, discovery, previous, hidden))
    except KieError as err:  # nothing hidden or shown on a list we could not read
        log.warning("catalog sync failed: %s", err)
        report.update(ok=False, error=str(err), changed=True, delisted=hidden, gone=[], back=[])
    report.update(calls=discovery.calls, throttled=discovery.throttled)  # the comparison's (rates come after)
    await c.store.catalog_sync.save(run_id, report, report["delisted"] if report["ok"] else hidden)
    if report["ok"]:  # saved first: a delisted model is hidden before the minute the success rates take
        rates = await _provider_rates(c, discovery, set(report["listed"])) if with_rates else None
        await health.refresh(c, rates)
    c.forget_cached()
    log.info("catalog sync %s: changed=%s gone=%s back=%s", run_id, report["changed"], report["gone"], report["back"])
    if report["changed"]:
        await alerts.tell_admins(c, lambda lang: screens.summary(lang, report))
    elif asked_by is not None:
        asker = await c.store.users.get(asked_by)
        await telegram.send(c.bot, asked_by, screens.details(asker.language if asker else "ru",
                                                             {**report, "finished_at": utcnow()}))
    return {"run_id": run_id, "ok": report["ok"], "changed": report["changed"], "gone": report["gone"],
            "back": report["back"]}


async def _provider_rates(c: "Container", discovery: Discovery, listed: set[str]) -> dict[str, float]:
    """Our model id -> the provider's success rate over its last hour, for the models it lists."""
    rates: dict[str, float] = {}
    for provider_model, model_ids in sorted(sync.provider_models(c.catalog).items()):
        if provider_model not in listed:
            continue
        try:
            rate = model_health.provider_rate(await discovery.success_rate(provider_model))
        except KieError as err:
            log.warning("success rate of %s not read: %s", provider_model, err)
            continue
        if rate is not None:
            rates.update({model_id: rate for model_id in model_ids})
    return rates


async def _compare(c: "Container", discovery: Discovery, previous: dict[str, Any],
                   hidden: dict[str, str]) -> dict[str, Any]:
    listing = {m["model"]: m for m in await discovery.models()}
    listed = set(listing)
    delisted, gone, back, trusted = sync.delisting(c.catalog, listed, hidden)
    ours = sync.provider_models(c.catalog)
    fields, prices, seen = [], [], {}
    old_prices = previous.get("prices_seen") or {}
    threshold = Decimal(str(c.settings.catalog_price_threshold_pct))
    for provider_model, model_ids in sorted(ours.items()):
        if provider_model not in listed:
            continue
        properties, _ = sync.input_schema(await discovery.schema(provider_model))
        for model_id in model_ids:
            drift = sync.schema_drift(c.catalog.get(model_id), properties)
            if drift["missing"] or drift["new"] or drift["renamed"] or drift["changed"]:
                fields.append({"model": model_id, **drift})
        description = listing[provider_model].get("pricingDesc") or await discovery.price(provider_model)
        now = {key: sync.usd_text(usd) for key, usd in sync.parse_prices(description).items()}
        seen[provider_model] = now
        if provider_model in old_prices:
            changes = sync.price_changes(old_prices[provider_model], now, threshold)
            if changes:
                prices.append({"model": provider_model, "changes": changes,
                               "proposed_lines": sync.proposed_lines(model_ids, changes, c.pricing_truth())})
    feed = await discovery.price_feed()
    known = set(previous.get("listed") or []) if previous.get("ok") else None
    # Differences we keep on purpose (values we do not offer) would repeat every day: a run reports what
    # differs since the last run, and keeps the whole list for the admin screen.
    known_fields = previous.get("fields_known", []) if previous.get("ok") else []
    report = {"listed": sorted(listed), "listed_count": len(listed), "gone": gone, "back": back,
              "delisted": delisted, "trusted": trusted, "new": sync.new_models(c.catalog, listed, known),
              "fields": [f for f in fields if f not in known_fields], "fields_known": fields,
              "prices": prices, "prices_seen": seen, "feed_rows": len(feed),
              "price_threshold_pct": float(threshold), "retired_listed": sync.retired_listed(c.catalog, listed)}
    report["changed"] = sync.changed(report, previous)
    return report
