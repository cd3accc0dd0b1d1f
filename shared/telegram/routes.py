"""The webhook's one routing table: each command, button verb and kind of message, the feature function that
handles it, and what the middleware checks before it runs (shared/telegram/middleware.py).

A target is "module:function", imported when its first update arrives (shared/lazy.py): registering the
routes imports no feature, so a cold instance serving /start never loads the wizard, the payments or the
admin panel. Button verbs match by the pattern of their callback data (shared/ui/callbacks.py SHAPES).
A feature function is called as `function(container, update, user, *callback arguments)`."""
from __future__ import annotations

from dataclasses import dataclass

from shared.ui import callbacks as cb


@dataclass(frozen=True)
class Route:
    target: str
    admin: bool = False  # ADMIN_IDS only; anyone else gets the reply an unknown command or button gets
    open_in_maintenance: bool = False  # served to everyone while maintenance mode is on
    upload: bool = False  # a file: counted against the uploads limit as well


def _at(feature: str, function: str, **checks: bool) -> Route:
    return Route(f"shared.telegram.{feature}:{function}", **checks)


def _admin(feature: str, function: str) -> Route:
    return _at(f"admin.{feature}", function, admin=True)


COMMANDS: dict[str, Route] = {
    "start": _at("menu", "start"), "help": _at("menu", "help"), "balance": _at("account", "balance"),
    "history": _at("account", "history"), "ref": _at("account", "referral"),
    "paysupport": _at("menu", "paysupport", open_in_maintenance=True),
    "terms": _at("menu", "terms", open_in_maintenance=True),
    "admin": _admin("panel", "menu"), "refund": _admin("refunds", "refund"),
}

BUTTONS: dict[str, Route] = {
    cb.NOOP: _at("menu", "nothing"), cb.HOME: _at("menu", "home"), cb.HELP: _at("menu", "help"),
    cb.CATALOG: _at("catalog", "page"), cb.MODEL: _at("catalog", "card"), cb.SEARCH: _at("catalog", "ask_search"),
    cb.START: _at("wizard", "begin"), cb.SET: _at("wizard", "choose"), cb.EDIT: _at("wizard", "edit_option"),
    cb.PAGE: _at("wizard", "page"), cb.REVIEW: _at("wizard", "review"), cb.DONE: _at("wizard", "files_done"),
    cb.CANCEL: _at("wizard", "cancel"),
    cb.CONFIRM: _at("confirm", "confirm"), cb.RUN_EXPENSIVE: _at("confirm", "second_tap"),
    cb.REPEAT: _at("results", "repeat"), cb.REPROMPT: _at("results", "reprompt"), cb.CHAIN: _at("results", "chain"),
    cb.HISTORY_ITEM: _at("results", "again"),
    cb.BALANCE: _at("account", "balance"), cb.LEDGER: _at("account", "ledger"), cb.HISTORY: _at("account", "history"),
    cb.REFERRAL: _at("account", "referral"), cb.TOPUP: _at("payments", "topup"),
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
}

# What a typed message answers while the bot waits for it (`users.awaiting`, by prefix); anything else typed
# is the wizard's answer or a search (TEXT). An admin route is skipped for a user who is no admin (any more).
AWAITING: dict[str, Route] = {
    "topup_amount": _at("payments", "custom_amount"),
    "admin_rq": _admin("lookup", "request"), "admin_user": _admin("lookup", "find_user"),
    "admin_adjust:": _admin("lookup", "adjust"), "admin_filter": _admin("lookup", "set_filter"),
    "admin_broadcast": _admin("tools", "preview_broadcast"),
    "admin_reason": _admin("confirm", "reason"),
}
TEXT = _at("wizard", "text")
MEDIA = _at("media", "attach", upload=True)
UNKNOWN_COMMAND = _at("menu", "unknown")
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
