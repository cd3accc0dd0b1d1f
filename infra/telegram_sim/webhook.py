"""Deliver updates to the bot's webhook the way Telegram does."""
import json
import time

import httpx

from .api import LOOKUP, call_method
from .errors import ControlError

REGISTERED = object()  # "use the secret_token from setWebhook"
UPDATE_TYPES = ("message", "edited_message", "callback_query", "pre_checkout_query", "shipping_query",
                "inline_query", "my_chat_member", "chat_member", "channel_post", "message_reaction")


def require_webhook(sim):
    with sim.lock:
        if not sim.webhook["url"]:
            raise ControlError(409, "no webhook is set: the bot must call setWebhook first "
                                    "(it registers it on startup); nothing was delivered")


def update_type(update):
    return next((key for key in update if key != "update_id"), None)


def deliver(sim, update, secret=REGISTERED):
    """POST one update; returns {update_id, webhook_status, elapsed_ms, ...}."""
    require_webhook(sim)
    with sim.lock:
        hook = dict(sim.webhook)
        timeout = float(sim.config["webhook_timeout_s"])
    entry = {"update_id": update.get("update_id"), "type": update_type(update), "time": time.time()}
    if hook["allowed_updates"] and entry["type"] not in hook["allowed_updates"]:
        entry.update(webhook_status=None, elapsed_ms=0, skipped="not in allowed_updates")
        sim.record_delivery(entry)
        return entry
    secret = hook["secret_token"] if secret is REGISTERED else secret
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    started = time.monotonic()
    try:
        response = httpx.post(hook["url"], content=json.dumps(update, ensure_ascii=False).encode(),
                              headers=headers, timeout=timeout)
        entry["webhook_status"] = response.status_code
        entry["response_body"] = response.text[:2000]
    except httpx.HTTPError as err:
        entry["webhook_status"] = None
        entry["error"] = f"Connection failed: {type(err).__name__}: {err}"
    entry["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
    sim.record_delivery(entry)
    if entry["webhook_status"] == 200:
        _run_reply_method(sim, entry.get("response_body", ""))
    return entry


def _run_reply_method(sim, body):
    """Telegram executes a Bot API call returned in the webhook response body."""
    try:
        payload = json.loads(body)
    except ValueError:
        return
    if isinstance(payload, dict) and isinstance(payload.get("method"), str):
        name = LOOKUP.get(payload["method"].lower())
        if name:
            raw = {key: value for key, value in payload.items() if key != "method"}
            call_method(sim, name, raw, {}, via="webhook_response")
