"""Callback data: a short `verb:arg:arg` grammar that fits Telegram's 64 bytes."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64

HOME, HELP, BALANCE, SEARCH, NOOP = "home", "help", "bal", "search", "noop"
CATALOG = "cat"  # cat:<category|free>:<page>
MODEL = "m"  # m:<model_id>
START = "go"  # go:<model_id>
SET = "set"  # set:<job_id>:<field_index>:<choice_index>   (choice "d" = skip/default)
EDIT = "edit"  # edit:<job_id>:<field_index>   open an option's picker on the confirmation screen
REVIEW = "rev"  # rev:<job_id>   back to the confirmation screen
CONFIRM = "ok"  # ok:<job_id>:<quote digest>   run at the price shown (digest: price, f|p free or paid, revision)
CANCEL = "x"  # x:<job_id>
DONE = "done"  # done:<job_id>:<field_index>   finish a multi-file step
REPEAT = "rep"  # rep:<job_id>   run a finished job again with the same inputs
REPROMPT = "rpe"  # rpe:<job_id>   the same, with a new prompt
PAGE = "pg"  # pg:<job_id>:<field_index>:<page>   page through a long list of choices
TOPUP = "tu"  # tu | tu:<rub> | tu:custom
LEDGER = "lg"  # lg:n:<ms> older than | lg:p:<ms> newer than
HISTORY = "gh"  # gh:n:<ms> | gh:p:<ms>
HISTORY_ITEM = "gi"  # gi:<job_id>   re-send a past result
REFERRAL = "refs"
RUN_EXPENSIVE = "okx"  # okx:<job_id>:<quote digest>   the second tap for a generation above CONFIRM_ABOVE_RUB
CHAIN = "ch"  # ch:<job_id>:<chain key>   the result as input of another model
LANGUAGE = "lang"  # lang | lang:<ru|en>   the language switch
RESUME = "rs"  # rs:<job_id>   a draft parked by a command, back to its step
MODEL_FROM = "mf"  # mf:<category|free|s>:<page>:<model_id>   a card whose Back returns to that list's page
SEARCH_PAGE = "sp"  # sp:<page>   a page of the last search's results
TEXT_MODEL = "tx"  # tx:<model_id>   a new draft whose prompt is the free text the user typed last
FILE_MODEL = "fm"  # fm:<model_id>   a new draft with the file the user sent last (with no order) attached
SUPPORT = "sup"  # sup | sup:<RQ code>   write to support (about a request): the next message goes there
ADMIN = "adm"  # adm:<section>:...   the admin panel (shared/telegram/admin/); a verb of its own per section:
ADM_MENU, ADM_ERRORS, ADM_FILTER, ADM_CSV = "adm:menu", "adm:err", "adm:errf", "adm:csv"  # err:<page>
ADM_RQ, ADM_FIND_USER, ADM_USER = "adm:rq", "adm:user", "adm:u"  # u:<user_id>
ADM_ADJUST, ADM_BAN, ADM_UNBAN = "adm:adj", "adm:ban", "adm:unban"  # each :<user_id>
ADM_STATS, ADM_MODELS, ADM_TOGGLE = "adm:stats", "adm:models", "adm:mt"  # stats:<days> models:<page> mt:<index>:<page>
ADM_SMOKE, ADM_KIE, ADM_BROADCAST, ADM_SEND = "adm:smoke", "adm:kie", "adm:bc", "adm:bcok"  # bcok:<preview id>
ADM_MAINTENANCE, ADM_LOG = "adm:maint", "adm:log"
ADM_SYNC, ADM_SYNC_RUN = "adm:sync", "adm:syncrun"  # the catalog sync's last report; run it now
# ban, unban, maintenance and a model off/on wait for a reason, then this confirmation: do:<pending id>,
# nr:<pending id> ("without a reason", where none is needed), drop (cancel)
ADM_DO, ADM_NO_REASON, ADM_DROP = "adm:do", "adm:nr", "adm:drop"


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...] = ()


def make(verb: str, *args: object) -> str:
    data = ":".join([verb, *map(str, args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    if not well_formed(data):  # a new button must be described in SHAPES, or it reads as forged
        raise ValueError(f"callback data {data!r} does not match the shape of {verb!r} in SHAPES")
    return data


def verb_of(data: str) -> str:
    """The verb of callback data: `adm:<section>` for the admin panel, else the first part."""
    first, _, rest = data.partition(":")
    return f"{first}:{rest.split(':', 1)[0]}" if first == ADMIN and rest else first


def parse(data: str | None) -> Callback:
    if not data:
        return Callback(NOOP)
    verb = verb_of(data)
    args = data[len(verb) + 1:].split(":") if len(data) > len(verb) else []
    if verb in (MODEL, START, TEXT_MODEL, FILE_MODEL):  # model ids never contain ':' but keep it robust
        return Callback(verb, (":".join(args),))
    return Callback(verb, tuple(args))


# What each verb's arguments look like, for well_formed(): anything else did not come from our buttons.
_JOB, _INT, _MODEL, _USER = r"[A-Za-z0-9_-]{1,40}", r"\d{1,4}", r"[A-Za-z0-9._/-]{1,80}", r"\d{1,16}"
_QUOTE = r"\d{1,9}[fp]\d{1,9}"  # shared.domain.quote.Quote.digest: kopecks, free or paid, draft revision
SHAPES: dict[str, str] = {
    HOME: "", HELP: "", BALANCE: "", SEARCH: "", NOOP: "", REFERRAL: "",
    CATALOG: rf"(:(image|video|audio|tools|free)(:{_INT})?)?",
    MODEL: f":{_MODEL}", START: f":{_MODEL}",
    SET: f":{_JOB}:{_INT}:({_INT}|d)", EDIT: f":{_JOB}:{_INT}", DONE: f":{_JOB}:{_INT}",
    PAGE: f":{_JOB}:{_INT}:{_INT}",
    CONFIRM: f":{_JOB}:{_QUOTE}", RUN_EXPENSIVE: f":{_JOB}:{_QUOTE}",
    REVIEW: f":{_JOB}", CANCEL: f":{_JOB}", REPEAT: f":{_JOB}",
    REPROMPT: f":{_JOB}", HISTORY_ITEM: f":{_JOB}", CHAIN: f":{_JOB}:[a-z]{{1,16}}",
    RESUME: f":{_JOB}", SUPPORT: "(:RQ-[0-9a-f]{8})?",
    MODEL_FROM: rf":(image|video|audio|tools|free|s):{_INT}:{_MODEL}", SEARCH_PAGE: f":{_INT}", TEXT_MODEL: f":{_MODEL}",
    FILE_MODEL: f":{_MODEL}",
    TOPUP: r"(:(\d{1,9}|custom))?",
    LEDGER: r"(:[np]:\d{1,16})?", HISTORY: r"(:[np]:\d{1,16})?",
    LANGUAGE: "(:(ru|en))?",
    ADM_MENU: "", ADM_ERRORS: f"(:{_INT})?", ADM_FILTER: "", ADM_CSV: "", ADM_RQ: "", ADM_FIND_USER: "",
    ADM_USER: f":{_USER}", ADM_ADJUST: f":{_USER}", ADM_BAN: f":{_USER}", ADM_UNBAN: f":{_USER}",
    ADM_STATS: "(:(1|7|30))?", ADM_MODELS: f"(:{_INT})?", ADM_TOGGLE: f":{_INT}(:{_INT})?",
    ADM_SMOKE: "", ADM_KIE: "", ADM_BROADCAST: "", ADM_SEND: f"(:{_JOB})?", ADM_MAINTENANCE: "", ADM_LOG: "",
    ADM_DO: f":{_JOB}", ADM_NO_REASON: f":{_JOB}", ADM_DROP: "",
    ADM_SYNC: "", ADM_SYNC_RUN: "",
}


def pattern(verb: str) -> re.Pattern[str]:
    """What the data of `verb`'s buttons looks like, whole (`match` at the start is a full match), within
    Telegram's 64 bytes (the shapes allow only ASCII, so characters are bytes)."""
    return re.compile(rf"(?=.{{0,{MAX_BYTES}}}\Z){re.escape(verb)}{SHAPES[verb]}\Z", re.ASCII)


_PATTERNS = {verb: pattern(verb) for verb in SHAPES}


def well_formed(data: str | None) -> bool:
    """True for callback data our buttons make (an empty one is a no-op); False for forged or stale data:
    an unknown verb, the wrong number of arguments, or arguments of the wrong shape."""
    if not data:
        return True
    found = _PATTERNS.get(verb_of(data))
    return found is not None and found.match(data) is not None
