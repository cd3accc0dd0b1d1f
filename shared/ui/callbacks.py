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
ADMIN = "adm"  # adm:<section>:...   the admin panel (shared/services/admin.py routes and checks these)


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...] = ()


def make(verb: str, *args: object) -> str:
    data = ":".join([verb, *map(str, args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    if verb != ADMIN and not well_formed(data):  # a new button must be described in SHAPES, or it reads as forged
        raise ValueError(f"callback data {data!r} does not match the shape of {verb!r} in SHAPES")
    return data


def parse(data: str | None) -> Callback:
    if not data:
        return Callback(NOOP)
    verb, *args = data.split(":")
    if verb == MODEL or verb == START:  # model ids never contain ':' but keep it robust
        return Callback(verb, (":".join(args),))
    return Callback(verb, tuple(args))


# What each verb's arguments look like, for well_formed(): anything else did not come from our buttons.
_JOB, _INT, _MODEL = r"[A-Za-z0-9_-]{1,40}", r"\d{1,4}", r"[A-Za-z0-9._/-]{1,80}"
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
    TOPUP: r"(:(\d{1,9}|custom))?",
    LEDGER: r"(:[np]:\d{1,16})?", HISTORY: r"(:[np]:\d{1,16})?",
}
_PATTERNS = {verb: re.compile(re.escape(verb) + shape, re.ASCII) for verb, shape in SHAPES.items()}


def well_formed(data: str | None) -> bool:
    """True for callback data our buttons make (an empty one is a no-op); False for forged or stale data:
    an unknown verb, the wrong number of arguments, or arguments of the wrong shape."""
    if not data:
        return True
    if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return False
    pattern = _PATTERNS.get(data.split(":", 1)[0])
    return pattern is not None and pattern.fullmatch(data) is not None
