"""HTTP side of the Bot API: /bot<token>/<method> and /file/bot<token>/<path>."""
import json
import re
import sys
import time
import traceback

from flask import Blueprint, Response, current_app, jsonify, request

from .errors import ApiError, bad_request
from .methods import METHODS

bp = Blueprint("botapi", __name__)
LOOKUP = {name.lower(): name for name in METHODS}  # Telegram method names are case-insensitive

# PTB (and most clients) send form fields as strings; nested objects arrive JSON-encoded.
JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "media", "commands", "scope",
               "allowed_updates", "link_preview_options", "reply_parameters", "prices",
               "suggested_tip_amounts"}
INT_FIELDS = {"message_id", "reply_to_message_id", "message_thread_id", "width", "height", "duration",
              "length", "cache_time", "max_connections", "offset", "limit", "timeout", "user_id",
              "from_chat_id", "total_amount", "subscription_period", "photo_size", "photo_width",
              "photo_height", "max_tip_amount"}
BOOL_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content",
               "has_spoiler", "supports_streaming", "allow_sending_without_reply", "ok",
               "disable_web_page_preview", "is_flexible", "show_caption_above_media",
               "disable_content_type_detection", "allow_paid_broadcast", "need_name", "need_phone_number",
               "need_email", "need_shipping_address", "send_phone_number_to_provider",
               "send_email_to_provider"}
_INT_RE = re.compile(r"-?\d+")


def state():
    return current_app.extensions["telegram_sim"]


def coerce(name, value):
    """Give a form-field string the type Telegram would read it as."""
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise bad_request(f"can't parse {what} JSON object") from None
    if (name in INT_FIELDS or name == "chat_id") and _INT_RE.fullmatch(value.strip()):
        return int(value)
    if name in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


def read_request():
    """(params, files) from query string plus a JSON, urlencoded or multipart body."""
    raw = request.args.to_dict()
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            raw.update(body)
    else:
        raw.update(request.form.to_dict())
    files = {name: (storage.read(), storage.filename, storage.mimetype)
             for name, storage in request.files.items()}
    return raw, files


def call_method(sim, name, raw, files, via="http"):
    """Run one Bot API call and record it; returns (http_status, body)."""
    latency = sim.config["latency_ms"]
    if latency:
        time.sleep(latency / 1000)
    try:
        params = {key: coerce(key, value) for key, value in raw.items()}
        failure = sim.take_failure(name)
        result = METHODS[name](sim, params, files) if failure is None or failure.applied else None
        if failure:
            time.sleep(failure.delay_ms / 1000)
            raise failure  # with "applied", the call took effect and only its answer is this error
        status, body = 200, {"ok": True, "result": result}
    except ApiError as err:
        status, body = err.code, err.body()
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        traceback.print_exc(file=sys.stderr)  # a type the simulator did not expect: show why
        status, body = 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {err}"}
    summary = {key: {"file_name": f[1], "mime_type": f[2], "size": len(f[0])} for key, f in files.items()}
    sim.record_call(name, raw, summary, status, body, via)
    return status, body


@bp.route("/")
def health():
    return jsonify(ok=True, service="telegram_sim")


@bp.route("/bot<token>/<name>", methods=["GET", "POST"])
def bot_api(token, name):
    sim = state()
    if token != sim.token:
        return jsonify(ApiError(401, "Unauthorized").body()), 401
    canonical = LOOKUP.get(name.lower())
    if canonical is None:
        return jsonify(ApiError(404, "Not Found").body()), 404
    raw, files = read_request()
    status, body = call_method(sim, canonical, raw, files)
    return jsonify(body), status


@bp.route("/file/bot<token>/<path:file_path>")
def download(token, file_path):
    sim = state()
    record = sim.file_by_path(file_path) if token == sim.token else None
    if record is None or record["content"] is None:
        return jsonify(ApiError(404, "Not Found").body()), 404
    return Response(record["content"], mimetype=record.get("mime_type") or "application/octet-stream")
