"""Checks Telegram applies to text, captions, keyboards and replies."""
import copy
import re

from .errors import bad_request
from .htmltext import HtmlError, parse_html, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BUTTONS = 100
BUTTON_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "callback_game", "pay")
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def formatted(text, parse_mode, entities):
    """(plain_text, entities, html_source) for a text or caption."""
    if not parse_mode:
        return text, list(entities or []), None
    mode = parse_mode.lower()
    if mode == "html":
        try:
            plain, found = parse_html(text)
        except HtmlError as err:
            raise bad_request(f"can't parse entities: {err}") from None
        return plain, found, text
    if mode in ("markdown", "markdownv2"):
        return text, [], None  # the simulator does not parse Markdown; text is kept as sent
    raise bad_request("unsupported parse_mode")


def message_text(params):
    text = params.get("text")
    if text is None or str(text) == "":
        raise bad_request("message text is empty")
    plain, entities, source = formatted(str(text), params.get("parse_mode"), params.get("entities"))
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, entities, source


def caption(params):
    """{"caption", "caption_entities"} to merge into the Message (empty when no caption)."""
    text = params.get("caption")
    if not text:
        return {}, None
    plain, entities, source = formatted(str(text), params.get("parse_mode"), params.get("caption_entities"))
    if utf16_len(plain) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    fields = {"caption": plain}
    if entities:
        fields["caption_entities"] = entities
    return fields, source


def reply_markup(markup):
    """(inline_keyboard_markup or None, other keyboard or None) after Telegram's checks."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None, copy.deepcopy(markup)  # reply keyboards are not part of Message.reply_markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in buttons:
        _check_button(button)
    return {"inline_keyboard": copy.deepcopy(rows)}, None


def _check_button(button):
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not re.match(r"^(https?|tg)://\S+$", str(button["url"]), re.I):
            raise bad_request("BUTTON_URL_INVALID")
    elif not any(key in button for key in BUTTON_ACTIONS):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")


def inline_buttons(message):
    """All inline buttons of a Message, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def command_entities(text):
    """bot_command entities Telegram adds to a user's text."""
    entities = []
    for match in _COMMAND_RE.finditer(text):
        entities.append({"type": "bot_command", "offset": utf16_len(text[:match.start()]),
                         "length": utf16_len(match.group())})
    return entities
