"""Callback data: a short `verb:arg:arg` grammar that fits Telegram's 64 bytes."""
from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64

HOME, HELP, BALANCE, SEARCH, NOOP = "home", "help", "bal", "search", "noop"
CATALOG = "cat"  # cat:<category|free>:<page>
MODEL = "m"  # m:<model_id>
START = "go"  # go:<model_id>
SET = "set"  # set:<job_id>:<field_index>:<choice_index>   (choice "d" = skip/default)
EDIT = "edit"  # edit:<job_id>:<field_index>   open an option's picker on the confirmation screen
REVIEW = "rev"  # rev:<job_id>   back to the confirmation screen
CONFIRM = "ok"  # ok:<job_id>
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
RUN_EXPENSIVE = "okx"  # okx:<job_id>   the second tap for a generation above CONFIRM_ABOVE_RUB
CHAIN = "ch"  # ch:<job_id>:<chain key>   the result as input of another model


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...] = ()


def make(verb: str, *args: object) -> str:
    data = ":".join([verb, *map(str, args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    return data


def parse(data: str | None) -> Callback:
    if not data:
        return Callback(NOOP)
    verb, *args = data.split(":")
    if verb == MODEL or verb == START:  # model ids never contain ':' but keep it robust
        return Callback(verb, (":".join(args),))
    return Callback(verb, tuple(args))
