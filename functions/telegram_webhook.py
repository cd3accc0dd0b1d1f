"""telegram_webhook: Telegram posts updates here. Verify the secret, drop redeliveries, handle in-request."""
from __future__ import annotations

import hmac
import logging
from typing import Any

import flask

from shared import runtime
from shared.bootstrap import container

log = logging.getLogger("webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_webhook: Any = None


def _handler() -> Any:
    global _webhook
    if _webhook is None:
        from shared.services.bot import Webhook

        _webhook = Webhook(container())
    return _webhook


async def _health() -> dict[str, Any]:
    c = container()
    await c.store.stored_free_tier()  # one read proves Firestore answers
    return {"status": "ok", "models": len(c.catalog.enabled()), "free_tier": c.pricing.free_tier}


async def _handle(update: dict[str, Any]) -> None:
    c = container()
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        return
    if not await c.store.claim_update(update_id):
        log.info("duplicate update dropped", extra={"update_id": update_id})
        return
    await _handler().process(update)


def telegram_webhook(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method == "GET":
        try:
            return runtime.run(_health(), timeout=10)
        except Exception as err:  # health must report, not crash
            log.exception("health check failed")
            return {"status": "error", "error": str(err)}, 503
    if request.method != "POST":
        return "method not allowed", 405
    secret = container().settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return "unauthorized", 401
    update = request.get_json(silent=True)
    if not isinstance(update, dict):
        return "bad request", 400
    runtime.run(_handle(update), timeout=50)
    return "ok", 200
