"""telegram_webhook: Telegram posts updates here. Verify the secret, drop redeliveries, handle in-request.

An update that could not be handled for good gets a non-2xx answer, so that Telegram redelivers it: a
payment whose credit failed, a claim that could not be written. Payments are deduplicated by their charge
id, not by a claim, so a redelivered payment is never dropped as a duplicate.

Anything that is not an update Telegram could have sent is refused before a single write: a body over
1 MiB (413), a body that is not a JSON object with a valid `update_id` (400), and an update whose
fields do not parse or have the wrong types (200 and a warning: Telegram would only resend it)."""
from __future__ import annotations

import hmac
import logging
from typing import Any

import flask

from telegram import Update

from shared import runtime
from shared.bootstrap import container
from shared.json_body import NOT_JSON, read_json
from shared.telegram.webhook import Webhook

log = logging.getLogger("webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_ID = 2**63 - 1  # Firestore integers are 64-bit
_webhook: Webhook | None = None


def _handler() -> Webhook:
    """The application, built on the first update (its features are imported when first used)."""
    global _webhook
    if _webhook is None:
        _webhook = Webhook(container())
    return _webhook


def valid_update_id(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_UPDATE_ID


def _typed(value: Any, kind: type, optional: bool = False) -> bool:
    if optional and value is None:
        return True
    return isinstance(value, kind) and not isinstance(value, bool)  # True is not an id (bool is an int)


def well_typed(update: Any) -> bool:
    """The fields handlers key documents and replies on have Telegram's types (PTB does not check)."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    query, checkout = update.callback_query, update.pre_checkout_query
    checks = []
    if user is not None:
        checks += [_typed(user.id, int), _typed(user.first_name, str, True), _typed(user.username, str, True),
                   _typed(user.language_code, str, True)]
    if chat is not None:
        checks += [_typed(chat.id, int), _typed(chat.type, str)]
    if message is not None:  # Telegram's messages always name their chat
        checks += [chat is not None, _typed(message.message_id, int), _typed(message.text, str, True),
                   _typed(message.caption, str, True)]
        for payment in (message.successful_payment, message.refunded_payment):
            if payment is not None:
                checks += [_typed(payment.telegram_payment_charge_id, str), _typed(payment.total_amount, int),
                           _typed(payment.invoice_payload, str), _typed(payment.currency, str)]
    if query is not None:
        checks += [user is not None, _typed(query.id, str), _typed(query.data, str, True)]
    if checkout is not None:
        checks += [user is not None, _typed(checkout.id, str), _typed(checkout.invoice_payload, str),
                   _typed(checkout.total_amount, int), _typed(checkout.currency, str)]
    return all(checks)


def parse_update(payload: dict[str, Any], bot: Any) -> Update | None:
    """The telegram.Update in a payload, or None when it is not one."""
    try:
        update = Update.de_json(payload, bot)
    except Exception:  # PTB raises whatever a malformed field trips over (TypeError, KeyError, ValueError...)
        return None
    return update if well_typed(update) else None


async def _health() -> dict[str, Any]:
    c = container()
    await c.store.system.stored_free_tier()  # one read proves Firestore answers
    return {"status": "ok", "models": len(c.catalog.enabled()), "free_tier": c.pricing.free_tier}


async def _handle(payload: dict[str, Any]) -> None:
    c = container()
    update_id = payload["update_id"]
    webhook = _handler()
    update = parse_update(payload, webhook.app.bot)
    if update is None:
        log.warning("malformed update dropped", extra={"update_id": update_id})
        return
    if update.effective_user is None:  # channel posts, polls, kinds we do not know: no handler of ours acts
        return
    if webhook.needs_claim(update) and not await c.store.system.claim_update(update_id):
        log.info("duplicate update dropped", extra={"update_id": update_id})
        return
    await webhook.process(update)


def telegram_webhook(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method == "GET":
        try:
            return runtime.run(_health(), timeout=10)
        except Exception:  # health must report, not crash; what broke is for the log, not the public
            log.exception("health check failed")
            return {"status": "error"}, 503
    if request.method != "POST":
        return "method not allowed", 405
    secret = container().settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return "unauthorized", 401
    update, problem = read_json(request)
    if problem:
        return problem
    if not isinstance(update, dict) or not valid_update_id(update.get("update_id")):
        return NOT_JSON
    try:
        runtime.run(_handle(update), timeout=50)
    except Exception:  # a payment whose credit failed, a claim not written: Telegram redelivers on non-2xx
        log.exception("update not handled; Telegram will deliver it again", extra={"update_id": update["update_id"]})
        return "not handled, retry", 500
    return "ok", 200
