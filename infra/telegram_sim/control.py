"""/sim/ control API: act as Telegram users and inspect what the bot did."""
import base64
import copy
import json
import time

from flask import Blueprint, Response, jsonify, request

from . import filestore, media
from .api import state
from .errors import ApiError, ControlError
from .validate import command_entities, inline_buttons
from .webhook import REGISTERED, deliver, require_webhook

bp = Blueprint("control", __name__, url_prefix="/sim")

# What a fabricated user file looks like unless the request says otherwise. Without content_b64
# the bytes are a real file of that kind and `duration` long (see media.fabricate); `size_bytes`
# pads it (never shrinks it), and above getFile's 20 MB only the size is kept. A client can lie:
# `real_duration` encodes that many seconds while the message still declares `duration`, and
# `header_duration` (MP3 audio/documents) makes the file's own Info header claim that length.
USER_FILES = {
    "document": {"file_name": "document.pdf"},
    "audio": {"file_name": "audio.mp3", "duration": 3},
    "voice": {"duration": 3, "mime_type": "audio/ogg"},
    "video": {"file_name": "video.mp4", "width": 640, "height": 360, "duration": 3},
    "animation": {"file_name": "animation.mp4", "width": 320, "height": 240, "duration": 2},
}


@bp.errorhandler(ControlError)
def control_error(err):
    return jsonify(ok=False, error=err.error), err.code


def body():
    data = request.get_json(silent=True)
    if data is None and request.data:
        raise ControlError(400, "the body must be JSON")
    return data or {}


# --- acting as a user ----------------------------------------------------------

def post_user_message(sim, user_id, options, content):
    """Store a user's message in their private chat and deliver it as an update."""
    user = sim.ensure_user(user_id, options.get("first_name"), options.get("username"),
                           options.get("language_code"))
    with sim.lock:
        chat = copy.deepcopy(sim.chats[user_id])
        reply_id = options.get("reply_to_message_id")
        replied = sim.message_record(user_id, int(reply_id)) if reply_id else None
        if replied:
            content = {**content, "reply_to_message": copy.deepcopy(replied["message"])}

    def build(message_id):
        return {"message_id": message_id, "from": user, "chat": chat, "date": int(time.time()), **content}

    record = sim.add_message(user_id, build, from_bot=False)
    update = {"update_id": sim.take_update_id(), "message": record["message"]}
    return {**deliver(sim, update), "message_id": record["message_id"]}


@bp.post("/users/<int:user_id>/message")
def user_text(user_id):
    sim, options = state(), body()
    text = options.get("text")
    if not isinstance(text, str) or not text:
        raise ControlError(400, "text is required")
    require_webhook(sim)
    content = {"text": text}
    typed = options.get("entities") or []  # the user's own formatting (bold, links...), as Telegram sends it
    if not isinstance(typed, list) or not all(isinstance(e, dict) and {"type", "offset", "length"} <= e.keys()
                                              for e in typed):
        raise ControlError(400, "entities must be a list of {type, offset, length}")
    entities = sorted(command_entities(text) + typed, key=lambda e: (e["offset"], -e["length"]))
    if entities:
        content["entities"] = entities
    return jsonify(post_user_message(sim, user_id, options, content))


def _with_caption(content, options):
    if options.get("caption"):
        content["caption"] = options["caption"]
    return content


def fabricate_photo(sim, options):
    width, height = int(options.get("width", 800)), int(options.get("height", 600))
    png = media.make_png(width, height, seed=sim.counters["file"])
    size = options.get("size_bytes")
    content = media.pad(png, int(size), "png") if size and int(size) <= media.GETFILE_LIMIT else png
    return filestore.store_photo(sim, content, file_size=int(size) if size else None)


def fabricate_file(sim, kind, options):
    options = {**USER_FILES[kind], **options}
    mime_type = options.get("mime_type")
    if options.get("content_b64"):
        content = base64.b64decode(options["content_b64"])
        size = len(content)
    elif int(options.get("size_bytes") or 0) > media.GETFILE_LIMIT:
        # Files over getFile's limit can't be downloaded anyway: keep only their size.
        content, size = None, int(options["size_bytes"])
    else:
        content, mime_type = media.fabricate(
            kind, int(options.get("size_bytes") or 0), options.get("real_duration", options.get("duration")),
            options.get("width"), options.get("height"), options.get("file_name"), mime_type,
            options.get("header_duration"))
        size = len(content)
    return filestore.store_file(sim, kind, content, options.get("file_name"), mime_type,
                                options, file_size=size)


@bp.post("/users/<int:user_id>/photo")
def user_photo(user_id):
    sim, options = state(), body()
    require_webhook(sim)
    content = _with_caption({"photo": fabricate_photo(sim, options)}, options)
    return jsonify(post_user_message(sim, user_id, options, content))


@bp.post("/users/<int:user_id>/<any(document, audio, voice, video, animation):kind>")
def user_file(user_id, kind):
    sim, options = state(), body()
    require_webhook(sim)
    obj = fabricate_file(sim, kind, options)
    content = _with_caption({kind: obj}, options)
    if kind == "animation":
        content["document"] = copy.deepcopy(obj)  # Telegram sends GIFs as both
    return jsonify(post_user_message(sim, user_id, options, content))


@bp.post("/users/<int:user_id>/album")
def user_album(user_id):
    """Several photos sharing one media_group_id, each delivered as its own update."""
    sim, options = state(), body()
    require_webhook(sim)
    photos = options.get("photos") or [{} for _ in range(int(options.get("count", 2)))]
    if not 2 <= len(photos) <= 10:
        raise ControlError(400, "an album has 2-10 photos")
    if options.get("caption") and not photos[0].get("caption"):
        photos[0] = {**photos[0], "caption": options["caption"]}
    group_id = str(13_500_000_000_000_000 + sim.next_id("media_group"))
    results = []
    for photo in photos:
        content = _with_caption({"photo": fabricate_photo(sim, photo), "media_group_id": group_id}, photo)
        results.append(post_user_message(sim, user_id, options, content))
    return jsonify(media_group_id=group_id, updates=results)


def _pick_button(record, options):
    buttons = inline_buttons(record["message"])
    if "data" in options:
        return str(options["data"])
    if "button_text" in options:
        button = next((b for b in buttons if b.get("text") == options["button_text"]), None)
        if button is None:
            raise ControlError(404, f"no button {options['button_text']!r}; buttons: {[b.get('text') for b in buttons]}")
    elif "index" in options:
        index = int(options["index"])
        if not 1 <= index <= len(buttons):
            raise ControlError(404, f"index {index} out of range: the message has {len(buttons)} buttons (1-based)")
        button = buttons[index - 1]
    else:
        raise ControlError(400, "give data, button_text or index (1-based)")
    if "callback_data" not in button:
        raise ControlError(400, f"button {button.get('text')!r} is not a callback button: {button}")
    return button["callback_data"]


@bp.post("/users/<int:user_id>/callback")
def user_callback(user_id):
    sim, options = state(), body()
    require_webhook(sim)
    with sim.lock:
        record = sim.message_record(user_id, int(options.get("message_id") or 0))
        if record is None or not record["from_bot"] or record["deleted"]:
            raise ControlError(404, f"no bot message {options.get('message_id')} in chat {user_id}")
        record = copy.deepcopy(record)
    data = _pick_button(record, options)
    user = sim.ensure_user(user_id, options.get("first_name"), options.get("username"),
                           options.get("language_code"))
    query_id = sim.add_callback_query(user_id, record["message_id"], data)
    update = {"update_id": sim.take_update_id(), "callback_query": {
        "id": query_id, "from": user, "message": record["message"],
        "chat_instance": str(7_000_000_000_000_000_000 + user_id), "data": data}}
    return jsonify({**deliver(sim, update), "callback_query_id": query_id})


def _invoice_to_pay(sim, user_id, options):
    """(private invoice details, invoice message record or None) for an invoice message or link."""
    link = options.get("link") or options.get("invoice_link")
    with sim.lock:
        if link:
            slug = str(link).rsplit("$", 1)[-1]
            invoice = sim.invoice_links.get(slug)
            if invoice is None:
                raise ControlError(404, f"no invoice link {link!r} (createInvoiceLink makes them)")
            return copy.deepcopy(invoice), None
        if options.get("message_id") is None:
            raise ControlError(400, "give message_id (the invoice message) or link (from createInvoiceLink)")
        record = sim.message_record(user_id, int(options["message_id"]))
        if record is None or not record["from_bot"] or record["deleted"]:
            raise ControlError(404, f"no bot message {options['message_id']} in chat {user_id}")
        if not record.get("invoice_private"):
            raise ControlError(400, f"message {options['message_id']} is not an invoice")
        if record.get("paid_charge_id"):
            raise ControlError(409, f"invoice message {options['message_id']} is already paid "
                                    f"({record['paid_charge_id']})")
        return copy.deepcopy(record["invoice_private"]), copy.deepcopy(record)


def _delivery(entry):
    return {key: entry.get(key) for key in ("update_id", "webhook_status", "elapsed_ms")}


@bp.post("/users/<int:user_id>/pay")
def user_pay(user_id):
    """Pay an invoice as Telegram does: pre_checkout_query, wait for the bot's answer, then
    (only if it said ok in time) a successful_payment message from the user. {"deliver": false}: the
    Stars are taken but the successful_payment update never reaches the bot (it is returned instead).
    `pause_after_precheckout_s` holds the payment that long after the bot said ok (a test acts in between,
    e.g. bans the user)."""
    sim, options = state(), body()
    require_webhook(sim)
    invoice, record = _invoice_to_pay(sim, user_id, options)
    user = sim.ensure_user(user_id, options.get("first_name"), options.get("username"),
                           options.get("language_code"))
    result = {"pre_checkout": None, "payment": None}
    query_id = None
    if not options.get("skip_precheckout"):
        query = sim.add_pre_checkout_query(user_id, invoice)
        query_id = query["pre_checkout_query_id"]
        update = {"update_id": sim.take_update_id(), "pre_checkout_query": {
            "id": query_id, "from": user, "currency": invoice["currency"],
            "total_amount": invoice["total_amount"], "invoice_payload": invoice["payload"]}}
        entry = deliver(sim, update)
        query = sim.wait_pre_checkout_answer(query_id)  # usually answered inside the webhook call
        result["pre_checkout"] = {**_delivery(entry), "pre_checkout_query_id": query_id,
                                  "answered": query["answered"], "ok": bool(query["ok"]),
                                  "error_message": query["error_message"],
                                  "timed_out": not query["answered"]}
        if not query["ok"]:
            return jsonify(result)
        time.sleep(min(float(options.get("pause_after_precheckout_s") or 0), 60.0))

    payment = {"currency": invoice["currency"], "total_amount": invoice["total_amount"],
               "invoice_payload": invoice["payload"], "telegram_payment_charge_id": None,
               "provider_payment_charge_id": ""}
    if invoice["currency"] != "XTR":
        payment["provider_payment_charge_id"] = f"sim_provider_{sim.next_id('charge')}"
    if invoice.get("subscription_period"):
        payment.update(subscription_expiration_date=int(time.time()) + invoice["subscription_period"],
                       is_recurring=True, is_first_recurring=True)
    with sim.lock:
        if record is not None:  # one payment per invoice message, even if two pays raced
            live = sim.message_record(user_id, record["message_id"])
            if live is None or live.get("paid_charge_id"):
                raise ControlError(409, f"invoice message {record['message_id']} is gone or already paid")
        charge_id = sim.add_payment({
            "user_id": user_id, "user": user, "chat_id": user_id, "currency": invoice["currency"],
            "total_amount": invoice["total_amount"], "invoice_payload": invoice["payload"],
            "provider_payment_charge_id": payment["provider_payment_charge_id"],
            "invoice_message_id": record["message_id"] if record else None,
            "invoice_link": invoice.get("link"), "pre_checkout_query_id": query_id, "message_id": None})
        payment["telegram_payment_charge_id"] = charge_id
        if record is not None:
            sim.messages[user_id][record["message_id"]]["paid_charge_id"] = charge_id
        chat = copy.deepcopy(sim.chats[user_id])
        message = sim.add_message(user_id, lambda message_id: {
            "message_id": message_id, "from": user, "chat": chat, "date": int(time.time()),
            "successful_payment": payment}, from_bot=False)
        sim.payments[charge_id]["message_id"] = message["message_id"]
    update = {"update_id": sim.take_update_id(), "message": message["message"]}
    if options.get("deliver", True) is False:
        result["payment"] = {"update_id": update["update_id"], "webhook_status": None, "elapsed_ms": 0,
                             "charge_id": charge_id, "message_id": message["message_id"], "update": update}
        return jsonify(result)
    entry = deliver(sim, update)
    result["payment"] = {**_delivery(entry), "charge_id": charge_id, "message_id": message["message_id"]}
    return jsonify(result)


@bp.post("/users/<int:user_id>/refund")
def user_refund(user_id):
    """Refund a Stars payment outside the bot, as Telegram does (its support, a dispute): the Stars go
    back at once. {"notify": true} (the default) also sends the bot a refunded_payment message from the
    user, as Telegram does; {"notify": false} leaves only the star transaction."""
    sim, options = state(), body()
    charge_id = str(options.get("charge_id") or "")
    try:
        sim.refund_payment(user_id, charge_id)
    except ApiError as err:
        raise ControlError(404 if "NOT_FOUND" in err.description else 409, err.description) from None
    result = {"charge_id": charge_id, "update": None}
    if options.get("notify", True):
        with sim.lock:
            payment = copy.deepcopy(sim.payments[charge_id])
        content = {"refunded_payment": {key: payment[key] for key in (
            "currency", "total_amount", "invoice_payload", "telegram_payment_charge_id")}}
        result["update"] = post_user_message(sim, user_id, options, content)
    return jsonify(result)


@bp.post("/users/<int:user_id>/block")
def user_block(user_id):
    """{"blocked": true} makes sends to this user fail with 403 like a blocked bot."""
    blocked = bool(body().get("blocked", True))
    state().set_blocked(user_id, blocked)
    return jsonify(ok=True, blocked=blocked)


@bp.post("/updates")
def raw_update():
    sim, options = state(), body()
    update = copy.deepcopy(options["update"] if "update" in options else options)
    require_webhook(sim)
    with sim.lock:
        if "update_id" not in update:
            update["update_id"] = sim.take_update_id()
        # Keep generated ids above any id a test injected by hand.
        sim.next_update_id = max(sim.next_update_id, int(update["update_id"]) + 1)
    message = update.get("message")
    if isinstance(message, dict) and "chat" in message and "message_id" in message:
        sim.store_foreign_message(message)
    return jsonify(deliver(sim, update, options.get("secret") if "secret" in options else REGISTERED))


# --- inspecting --------------------------------------------------------------------

@bp.get("/chats/<int(signed=True):chat_id>/messages")
def chat_messages(chat_id):
    records, rev = state().chat_messages(chat_id)
    return jsonify(chat_id=chat_id, messages=records, rev=rev)


@bp.get("/chats/<int(signed=True):chat_id>/wait")
def chat_wait(chat_id):
    after_id = request.args.get("after_message_id", type=int)
    after_rev = request.args.get("after_rev", type=int)
    timeout = min(max(request.args.get("timeout", 10.0, type=float), 0.0), 120.0)
    records, rev = state().wait_changes(chat_id, after_id, after_rev, timeout)
    return jsonify(chat_id=chat_id, messages=records, rev=rev, timed_out=not records)


@bp.get("/calls")
def calls():
    return jsonify(calls=state().call_list(request.args.get("method")))


@bp.get("/callback_answers")
def callback_answers():
    return jsonify(callback_queries=state().callback_list())


@bp.get("/payments")
def payments():
    """Every payment (oldest first) with its refund status."""
    return jsonify(payments=state().payment_list())


@bp.get("/pre_checkout_queries")
def pre_checkout_queries():
    return jsonify(pre_checkout_queries=state().pre_checkout_list())


@bp.get("/commands")
def commands():
    """setMyCommands as stored: one entry per (scope, language_code)."""
    sim = state()
    with sim.lock:
        return jsonify(commands=[{"scope": json.loads(scope), "language_code": language, "commands": cmds}
                                 for (scope, language), cmds in copy.deepcopy(sim.commands).items()])


@bp.get("/deliveries")
def deliveries():
    sim = state()
    with sim.lock:
        return jsonify(deliveries=copy.deepcopy(sim.deliveries))


@bp.get("/webhook")
def webhook_info():
    sim = state()
    with sim.lock:
        return jsonify(bot=sim.bot, webhook=copy.deepcopy(sim.webhook), next_update_id=sim.next_update_id,
                       pending_redeliveries=sim.pending_redeliveries)


@bp.get("/files/<file_id>")
def file_bytes(file_id):
    record = state().file(file_id)
    if record is None or record["content"] is None:
        raise ControlError(404, f"no stored bytes for file_id {file_id}")
    return Response(record["content"], mimetype=record.get("mime_type") or "application/octet-stream",
                    headers={"X-File-Path": record["file_path"]})


@bp.post("/reset")
def reset():
    state().reset(everything=bool(body().get("everything")))
    return jsonify(ok=True)


@bp.route("/config", methods=["GET", "POST"])
def config():
    sim = state()
    if request.method == "GET":
        return jsonify(sim.configure({}))
    try:
        return jsonify(sim.configure(body()))
    except ValueError as err:
        raise ControlError(400, str(err)) from None


@bp.get("/injected")
def injected():
    """Chaos faults injected so far, by kind."""
    sim = state()
    with sim.lock:
        return jsonify(dict(sim.injected))
