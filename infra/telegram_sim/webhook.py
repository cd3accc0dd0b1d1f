"""Deliver updates to the bot's webhook the way Telegram does."""
import json
import threading
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


def deliver(sim, update, secret=REGISTERED, attempt=1):
    """POST one update; returns {update_id, webhook_status, elapsed_ms, ...}. With `redelivery_delays_s`
    set, an update the webhook did not take (no answer, or not 2xx) is sent again after each delay,
    as Telegram does, until it is taken or the delays run out."""
    require_webhook(sim)
    with sim.lock:
        hook = dict(sim.webhook)
        timeout = float(sim.config["webhook_timeout_s"])
        delays = list(sim.config["redelivery_delays_s"])
        epoch = sim.epoch
    entry = {"update_id": update.get("update_id"), "type": update_type(update), "time": time.time(),
             "attempt": attempt}
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
    elif not 200 <= (entry["webhook_status"] or 0) < 300 and attempt <= len(delays):
        _redeliver_later(sim, update, secret, attempt + 1, delays[attempt - 1], epoch)
    return entry


def _redeliver_later(sim, update, secret, attempt, delay_s, epoch):
    def again():
        with sim.lock:
            if sim.epoch != epoch or not sim.webhook["url"]:
                return  # the simulator was reset meanwhile: that update belongs to an old run
        try:
            deliver(sim, update, secret, attempt)
        finally:
            with sim.lock:
                sim.pending_redeliveries -= 1

    with sim.lock:
        sim.pending_redeliveries += 1
    timer = threading.Timer(float(delay_s), again)
    timer.daemon = True
    timer.start()


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
