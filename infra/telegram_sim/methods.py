"""Bot API methods: handler(state, params, files) -> result, or raise ApiError."""
import copy
import json
import re
import time

from . import filestore, media, validate
from .errors import ApiError, bad_request

METHODS = {}
MEDIA_KINDS = {"sendPhoto": "photo", "sendVideo": "video", "sendAudio": "audio", "sendDocument": "document",
               "sendVoice": "voice", "sendAnimation": "animation", "sendVideoNote": "video_note"}
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")
STUBS = ("setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton",
         "answerShippingQuery", "setMyDefaultAdministratorRights")


def method(name):
    def register(handler):
        METHODS[name] = handler
        return handler
    return register


for _name in STUBS:
    METHODS[_name] = lambda state, params, files: True  # recorded by the dispatcher, nothing else


# --- helpers ---------------------------------------------------------------

def _post(state, chat, fields, html=None, extra=None):
    """Store a new bot message in the chat and return the Message object."""
    def build(message_id):
        message = {"message_id": message_id, "from": copy.deepcopy(state.bot), "chat": chat,
                   "date": int(time.time())}
        message.update({key: value for key, value in fields.items() if value not in (None, [], {})})
        return message
    return state.add_message(chat["id"], build, from_bot=True, html=html, **(extra or {}))["message"]


def _reply_to(state, chat_id, params):
    options = params.get("reply_parameters") or {}
    target = options.get("message_id") or params.get("reply_to_message_id")
    if not target:
        return None
    with state.lock:
        record = state.message_record(chat_id, int(target))
        if record and not record["deleted"]:
            message = copy.deepcopy(record["message"])
            message.pop("reply_to_message", None)  # Telegram nests only one level
            return message
    if options.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def _extra(other_keyboard):
    return {"reply_keyboard": other_keyboard} if other_keyboard else None


def _editable(state, params):
    """The live record of a bot message the bot may edit (caller holds the lock)."""
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not simulated
    chat = state.chat(params.get("chat_id"))
    record = state.message_record(chat["id"], params.get("message_id"))
    if record is None or record["deleted"]:
        raise bad_request("message to edit not found")
    if not record["from_bot"]:
        raise bad_request("message can't be edited")
    return record


def _apply_edit(state, record, changes, html=None):
    def change(live):
        message = live["message"]
        for key, value in changes.items():
            if value in (None, [], {}):
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        live["edited"] = True
        live["html"] = html
    return state.update_message(record["chat_id"], record["message_id"], change)["message"]


def _media_field(message):
    return next((kind for kind in ("photo", "video", "animation", "audio", "document", "voice", "video_note")
                 if kind in message), None)


# --- bot and webhook ---------------------------------------------------------

@method("getMe")
def get_me(state, params, files):
    return {**state.bot, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


@method("setWebhook")
def set_webhook(state, params, files):
    secret = params.get("secret_token")
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("secret token contains unallowed characters")
    with state.lock:
        state.webhook.update(url=params.get("url") or "", secret_token=secret or None,
                             allowed_updates=params.get("allowed_updates") or [],
                             max_connections=params.get("max_connections") or 40,
                             drop_pending_updates=bool(params.get("drop_pending_updates")),
                             ip_address=params.get("ip_address"))
    return True


@method("deleteWebhook")
def delete_webhook(state, params, files):
    with state.lock:
        state.webhook.update(url="", secret_token=None,
                             drop_pending_updates=bool(params.get("drop_pending_updates")))
    return True


@method("getWebhookInfo")
def get_webhook_info(state, params, files):
    with state.lock:
        hook = state.webhook
        info = {"url": hook["url"], "has_custom_certificate": False, "pending_update_count": 0}
        if hook["url"]:
            info["max_connections"] = hook["max_connections"]
            if hook["allowed_updates"]:
                info["allowed_updates"] = list(hook["allowed_updates"])
        for key in ("last_error_date", "last_error_message"):
            if hook.get(key):
                info[key] = hook[key]
        return info


@method("getUpdates")
def get_updates(state, params, files):
    if state.webhook["url"]:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    return []


SCOPES = {"default": (), "all_private_chats": (), "all_group_chats": (), "all_chat_administrators": (),
          "chat": ("chat_id",), "chat_administrators": ("chat_id",), "chat_member": ("chat_id", "user_id")}


def _commands_key(params):
    """Commands are kept per (scope, language_code), as Telegram does; no fallback between them."""
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    for field in SCOPES[scope["type"]]:
        if scope.get(field) in (None, ""):
            raise bad_request(f'can\'t parse BotCommandScope JSON object: Field "{field}" must be present')
    scope = {key: scope[key] for key in ("type", *SCOPES[scope["type"]])}
    if "chat_id" in scope and str(scope["chat_id"]).lstrip("-").isdigit():
        scope["chat_id"] = int(scope["chat_id"])
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", str(language)):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


@method("setMyCommands")
def set_my_commands(state, params, files):
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description is empty")
    with state.lock:
        state.commands[_commands_key(params)] = copy.deepcopy(commands)
    return True


@method("getMyCommands")
def get_my_commands(state, params, files):
    with state.lock:
        return copy.deepcopy(state.commands.get(_commands_key(params), []))


@method("deleteMyCommands")
def delete_my_commands(state, params, files):
    with state.lock:
        state.commands.pop(_commands_key(params), None)
    return True


@method("getChat")
def get_chat(state, params, files):
    return {**state.chat(params.get("chat_id")), "accent_color_id": 0, "max_reaction_count": 11}


# --- sending -----------------------------------------------------------------

@method("sendMessage")
def send_message(state, params, files):
    chat = state.chat(params.get("chat_id"))
    markup, other = validate.reply_markup(params.get("reply_markup"))
    text, entities, html = validate.message_text(params)
    reply = _reply_to(state, chat["id"], params)
    state.check_flood(chat["id"])
    fields = {"text": text, "entities": entities, "reply_markup": markup, "reply_to_message": reply}
    return _post(state, chat, fields, html=html, extra=_extra(other))


def _send_media(kind):
    def handler(state, params, files):
        chat = state.chat(params.get("chat_id"))
        markup, other = validate.reply_markup(params.get("reply_markup"))
        caption, html = validate.caption(params)
        reply = _reply_to(state, chat["id"], params)
        state.check_flood(chat["id"])
        obj = filestore.resolve_media(state, kind, params.get(kind), files, params)
        fields = {kind: obj, **caption, "reply_markup": markup, "reply_to_message": reply}
        if params.get("has_spoiler"):
            fields["has_media_spoiler"] = True
        return _post(state, chat, fields, html=html, extra=_extra(other))
    return handler


for _method_name, _kind in MEDIA_KINDS.items():
    METHODS[_method_name] = _send_media(_kind)


@method("sendMediaGroup")
def send_media_group(state, params, files):
    chat = state.chat(params.get("chat_id"))
    items = params.get("media")
    if not isinstance(items, list) or not items:
        raise bad_request("media to send are not specified")
    if not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media: a media group must include 2-10 items")
    prepared = []
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("photo", "video", "audio", "document"):
            raise bad_request(f'can\'t parse InputMedia: type "{kind}" can\'t be used in sendMediaGroup')
        prepared.append((kind, item, *validate.caption(item)))
    reply = _reply_to(state, chat["id"], params)
    state.check_flood(chat["id"])  # an album counts as one send
    group_id = str(13_000_000_000_000_000 + state.next_id("media_group"))
    objects = [filestore.resolve_media(state, kind, item.get("media"), files, item) for kind, item, _, _ in prepared]
    messages = []
    for obj, (kind, item, caption, html) in zip(objects, prepared):
        fields = {kind: obj, **caption, "media_group_id": group_id, "reply_to_message": reply}
        if item.get("has_spoiler"):
            fields["has_media_spoiler"] = True
        messages.append(_post(state, chat, fields, html=html))
    return messages


@method("sendChatAction")
def send_chat_action(state, params, files):
    state.chat(params.get("chat_id"))
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


# --- editing and deleting ------------------------------------------------------

@method("editMessageText")
def edit_message_text(state, params, files):
    markup, _ = validate.reply_markup(params.get("reply_markup"))
    text, entities, html = validate.message_text(params)
    with state.lock:
        record = _editable(state, params)
        message = record["message"]
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        if (message["text"], message.get("entities", []), message.get("reply_markup")) == (text, entities, markup):
            raise bad_request(NOT_MODIFIED)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        return _apply_edit(state, record, {"text": text, "entities": entities, "reply_markup": markup}, html)


@method("editMessageCaption")
def edit_message_caption(state, params, files):
    markup, _ = validate.reply_markup(params.get("reply_markup"))
    caption, html = validate.caption(params)
    with state.lock:
        record = _editable(state, params)
        message = record["message"]
        if not _media_field(message):
            raise bad_request("there is no caption in the message to edit")
        old = (message.get("caption"), message.get("caption_entities", []), message.get("reply_markup"))
        if old == (caption.get("caption"), caption.get("caption_entities", []), markup):
            raise bad_request(NOT_MODIFIED)
        changes = {"caption": caption.get("caption"), "caption_entities": caption.get("caption_entities"),
                   "reply_markup": markup}
        return _apply_edit(state, record, changes, html)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state, params, files):
    markup, _ = validate.reply_markup(params.get("reply_markup"))
    with state.lock:
        record = _editable(state, params)
        if record["message"].get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        return _apply_edit(state, record, {"reply_markup": markup}, record["html"])


@method("editMessageMedia")
def edit_message_media(state, params, files):
    item = params.get("media")
    if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "audio", "document", "animation"):
        raise bad_request("can't parse InputMedia JSON object")
    markup, _ = validate.reply_markup(params.get("reply_markup"))
    caption, html = validate.caption(item)
    with state.lock:
        record = _editable(state, params)
        if not _media_field(record["message"]):
            raise bad_request("there is no media in the message to edit")
    obj = filestore.resolve_media(state, item["type"], item.get("media"), files, item)
    with state.lock:
        record = _editable(state, params)
        changes = {kind: None for kind in ("photo", "video", "animation", "audio", "document")}
        changes.update({item["type"]: obj, "caption": caption.get("caption"),
                        "caption_entities": caption.get("caption_entities"), "reply_markup": markup})
        return _apply_edit(state, record, changes, html)


@method("deleteMessage")
def delete_message(state, params, files):
    chat = state.chat(params.get("chat_id"))
    with state.lock:
        record = state.message_record(chat["id"], params.get("message_id"))
        if record is None or record["deleted"]:
            raise bad_request("message to delete not found")
        state.update_message(chat["id"], record["message_id"], lambda live: live.update(deleted=True))
    return True


# --- callbacks and files ---------------------------------------------------------

@method("answerCallbackQuery")
def answer_callback_query(state, params, files):
    text = params.get("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {key: params.get(key) for key in ("text", "show_alert", "url", "cache_time") if key in params}
    state.answer_callback_query(str(params.get("callback_query_id")), answer)
    return True


@method("getFile")
def get_file(state, params, files):
    record = state.file(params.get("file_id"))
    if record is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if record["file_size"] > media.GETFILE_LIMIT:
        raise bad_request("file is too big")
    return filestore.file_info(record)


from . import payments  # noqa: E402,F401  (registers sendInvoice, answerPreCheckoutQuery, ...)
