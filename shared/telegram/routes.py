"""The webhook's one routing table: each command, button verb and kind of message, the feature function that
handles it, and what the middleware checks before it runs (shared/telegram/middleware.py).

A target is "module:function", imported when its first update arrives (shared/lazy.py): registering the
routes imports no feature, so a cold instance serving /start never loads the wizard, the payments or the
admin panel. Button verbs match by the pattern of their callback data (shared/ui/callbacks.py SHAPES).
A feature function is called as `function(container, update, user, *callback arguments)`."""
from __future__ import annotations

import re
from dataclasses import dataclass

from shared.domain.requests import request_code
from shared.ui import callbacks as cb


@dataclass(frozen=True)
class Route:
    target: str
    admin: bool = False  # ADMIN_IDS only; anyone else gets the reply an unknown command or button gets
    open_in_maintenance: bool = False  # served to everyone while maintenance mode is on
    upload: bool = False  # a file: counted against the uploads limit as well
    parks: bool = False  # a command that sets an open draft aside and offers it back (menu.park)
    open_to_banned: bool = False  # a banned user may still reach support


def _at(feature: str, function: str, **checks: bool) -> Route:
    return Route(f"shared.telegram.{feature}:{function}", **checks)


def _admin(feature: str, function: str) -> Route:
    return _at(f"admin.{feature}", function, admin=True)


# Maintenance stops new generations (what its notice says, shown by /start and the menu); money, history, help
# and support stay open.
OPEN = {"open_in_maintenance": True}

COMMANDS: dict[str, Route] = {
    "start": _at("menu", "start", parks=True), "help": _at("menu", "help", parks=True, **OPEN),
    "balance": _at("account", "balance", parks=True, **OPEN),
    "history": _at("account", "history", parks=True, **OPEN), "ref": _at("account", "referral", parks=True, **OPEN),
    "menu": _at("menu", "start", parks=True),
    "cancel": _at("talk", "cancel", **OPEN, open_to_banned=True),
    "stop": _at("talk", "cancel", **OPEN, open_to_banned=True), "reply": _admin("support", "reply_command"),
    "paysupport": _at("menu", "paysupport", open_in_maintenance=True, open_to_banned=True),
    "terms": _at("menu", "terms", open_in_maintenance=True),
    "admin": _admin("panel", "menu"), "refund": _admin("refunds", "refund"),
}

BUTTONS: dict[str, Route] = {
    cb.NOOP: _at("menu", "nothing"), cb.HOME: _at("menu", "home"), cb.HELP: _at("menu", "help", **OPEN),
    cb.CATALOG: _at("catalog", "page"), cb.MODEL: _at("catalog", "card"), cb.SEARCH: _at("catalog", "ask_search"),
    cb.MODEL_FROM: _at("catalog", "card_from"), cb.SEARCH_PAGE: _at("catalog", "search_page"),
    cb.TEXT_MODEL: _at("talk", "from_text"), cb.FILE_MODEL: _at("media", "with_file", upload=True),
    cb.START: _at("wizard", "begin"), cb.SET: _at("wizard", "choose"), cb.EDIT: _at("wizard", "edit_option"),
    cb.PAGE: _at("wizard", "page"), cb.REVIEW: _at("wizard", "review"), cb.DONE: _at("wizard", "files_done"),
    cb.CANCEL: _at("wizard", "cancel"),
    cb.CONFIRM: _at("confirm", "confirm"), cb.RUN_EXPENSIVE: _at("confirm", "second_tap"),
    cb.REPEAT: _at("results", "repeat"), cb.REPROMPT: _at("results", "reprompt"), cb.CHAIN: _at("results", "chain"),
    cb.HISTORY_ITEM: _at("results", "again", **OPEN), cb.RESUME: _at("talk", "resume"),
    cb.SUPPORT: _at("support", "ask", **OPEN, open_to_banned=True),
    cb.BALANCE: _at("account", "balance", **OPEN), cb.LEDGER: _at("account", "ledger", **OPEN),
    cb.HISTORY: _at("account", "history", **OPEN),
    cb.REFERRAL: _at("account", "referral", **OPEN), cb.TOPUP: _at("payments", "topup", **OPEN),
    cb.LANGUAGE: _at("language", "language", **OPEN),
    cb.ADM_MENU: _admin("panel", "menu"), cb.ADM_MAINTENANCE: _admin("confirm", "maintenance"),
    cb.ADM_LOG: _admin("panel", "action_log"), cb.ADM_STATS: _admin("stats", "stats"),
    cb.ADM_MODELS: _admin("panel", "models"), cb.ADM_TOGGLE: _admin("confirm", "toggle_model"),
    cb.ADM_KIE: _admin("panel", "kie"), cb.ADM_SMOKE: _admin("tools", "smoke"),
    cb.ADM_BROADCAST: _admin("tools", "ask_broadcast"), cb.ADM_SEND: _admin("tools", "send_broadcast"),
    cb.ADM_ERRORS: _admin("lookup", "errors"), cb.ADM_FILTER: _admin("lookup", "ask_filter"),
    cb.ADM_CSV: _admin("lookup", "errors_csv"), cb.ADM_RQ: _admin("lookup", "ask_request"),
    cb.ADM_FIND_USER: _admin("lookup", "ask_user"), cb.ADM_USER: _admin("lookup", "user"),
    cb.ADM_ADJUST: _admin("lookup", "ask_adjustment"), cb.ADM_BAN: _admin("confirm", "ban"),
    cb.ADM_UNBAN: _admin("confirm", "unban"),
    cb.ADM_DO: _admin("confirm", "confirmed"), cb.ADM_NO_REASON: _admin("confirm", "no_reason"),
    cb.ADM_DROP: _admin("confirm", "drop"),
    cb.ADM_SYNC: _admin("sync", "report"), cb.ADM_SYNC_RUN: _admin("sync", "run_now"),
}

# What a typed message answers while the bot waits for it (`users.awaiting`, by prefix); anything else typed
# is the wizard's answer or a search (TEXT). An admin route is skipped for a user who is no admin (any more).
AWAITING: dict[str, Route] = {
    "topup_amount": _at("payments", "custom_amount", **OPEN),
    "support": _at("support", "message", **OPEN, open_to_banned=True),
    "admin_rq": _admin("lookup", "request"), "admin_user": _admin("lookup", "find_user"),
    "admin_adjust:": _admin("lookup", "adjust"), "admin_filter": _admin("lookup", "set_filter"),
    "admin_broadcast": _admin("tools", "preview_broadcast"),
    "admin_reason": _admin("confirm", "reason"),
}
TEXT = _at("wizard", "text")
MEDIA = _at("media", "attach", upload=True)
SUPPORT_FILE = _at("support", "message", upload=True, **OPEN, open_to_banned=True)  # a photo sent to support
SUPPORT_ANSWER = _admin("support", "answer")
REQUEST = _at("talk", "request", **OPEN)  # a request code typed: that job's status (the user's own only)  # an admin's reply to a support message the bot forwarded
SUPPORT_MESSAGE = re.compile(r"\bID \d{1,16}\b")  # how a forwarded support message names its user
UNKNOWN_COMMAND = _at("menu", "unknown")
PARK = "shared.telegram.menu:park"  # after a route that parks
STALE_BUTTON = _at("menu", "stale")  # callback data no button of ours makes (forged, or from an older version)

# Outside the middleware: a pre-checkout must be answered within 10 s, and money is credited whatever the
# user's status (shared/telegram/webhook.py).
PRECHECKOUT = "shared.telegram.payments:precheckout"
MONEY = {"successful_payment": "shared.telegram.payments:paid",
         "refunded_payment": "shared.telegram.payments:refunded"}


def awaited(awaiting: str | None, admin: bool) -> Route:
    """The route of a typed message, by what the bot waits for."""
    for prefix, route in AWAITING.items():
        if (awaiting or "").startswith(prefix) and (admin or not route.admin):
            return route
    return TEXT


def chosen(route: Route, awaiting: str | None, admin: bool, replied_to: str | None, typed: str | None) -> Route:
    """The route of a text or a file, by what the bot waits for; an admin's reply to a forwarded support
    message (`replied_to`: the text of the bot's message it replies to) is the answer to the user; a request
    code typed when nothing else is awaited is a question about that request."""
    if route is MEDIA:
        return SUPPORT_FILE if (awaiting or "").startswith("support") else MEDIA
    if route is not TEXT:
        return route
    if admin and replied_to and SUPPORT_MESSAGE.search(replied_to):
        return SUPPORT_ANSWER
    found = awaited(awaiting, admin)
    return REQUEST if found is TEXT and request_code(typed) else found
