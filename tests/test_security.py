"""Security properties in one place, against the real local stack (emulators, simulators, functions).

- telegram_webhook: no secret or a wrong one -> 401; a body over 1 MiB -> 413; anything that is not a
  Telegram update (fuzzed) -> 400, or 200 and dropped: never a 5xx, and not a single document written.
- user input through real updates (fuzzed): oversized prompts, control characters, odd unicode, numbers out of
  range, forged callback data -> a clear reply in Russian (never the generic error), nothing charged.
- admin: a non-admin sees nothing of /admin and its buttons, and nothing is done or recorded as an admin action.
- kie_callback: a bad signature, or a timestamp outside ±5 minutes -> 401; a valid one for an unknown task
  -> 200 and nothing changes; a replayed (or body-altered) callback of a finished job changes nothing;
  fuzzed bodies never get a 5xx.
- GCP mode (EXPECTED_INVOKERS set): the worker and the scheduled functions refuse a caller without the expected
  OIDC identity with 403 and do nothing; the webhook and the callback keep their own authentication.
- logs: no function log carries a raw user id, the bot token, the KIE key, the webhook secret or the HMAC key.

Fuzzing: hypothesis, with few examples so the file stays fast; SECURITY_FUZZ_SCALE=10 runs ten times more.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import string
import sys
import time
from datetime import timedelta
from typing import Any

import functions_framework
import httpx
import pytest
from google.cloud.firestore import FieldFilter

try:
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - the message is the point
    pytest.fail("hypothesis is not installed: run `.venv/bin/pip install -r requirements-dev.txt` "
                "(or ./dev test, which installs it)", pytrace=False)

from infra.stack import (ADMIN_IDS, FUNCTIONS, KIE_API_KEY, KIE_WEBHOOK_HMAC_KEY, TELEGRAM_BOT_TOKEN,
                         TELEGRAM_WEBHOOK_SECRET)
from shared import auth
from shared.catalog import load_catalog
from shared.domain.clock import utcnow
from shared.domain.jobs import Job
from shared.logs import mask_user
from shared.ui import callbacks as cb
from shared.ui.texts import t
from tests.conftest import run
from tests.helpers import TgUser, text_of
from tests.test_oidc import SCHEDULER_SA, TASKS_SA, google, mint  # noqa: F401 (google is a fixture)

BASE_EXAMPLES = int(os.environ.get("SECURITY_FUZZ_SCALE", "1"))
FUZZ = dict(deadline=None, database=None,  # no .hypothesis/ directory in the repo
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SECRET = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
AS_TELEGRAM = {**SECRET, "Content-Type": "application/json"}  # what Telegram sends with every update
CYRILLIC = re.compile("[А-Яа-яЁё]")
GENERIC_ERROR = "Что-то пошло не так"
STALE = t("ru", "stale")
MONEY_STATES = {"confirmed", "queued", "running", "succeeded", "failed", "refunded"}


# --- helpers ---------------------------------------------------------------------------------------------

def snapshot(db) -> dict[tuple[str, str], Any]:
    """Every document of the project with its update time: equal snapshots mean nothing was written."""
    async def go():
        out = {}
        async for collection in db.db.collections():
            async for snap in collection.stream():
                out[(collection.id, snap.id)] = snap.update_time
        return out

    return run(go())


def money(db, user_id: int) -> tuple[int | None, int, list[str], dict]:
    """(balance, ledger entries, states of the user's non-draft jobs, today's free uses)."""
    async def go():
        user = await db.users.get(user_id)
        ledger = await db.users.ledger_for(user_id)
        query = db.db.collection("jobs").where(filter=FieldFilter("user_id", "==", user_id))
        states = sorted([s.get("state") async for s in query.stream() if s.get("state") in MONEY_STATES])
        return user.balance_kopecks if user else None, len(ledger), states, await db.users.free_usage(user_id)

    return run(go())


def bot_records_since(u: TgUser, rev: int) -> list[dict]:
    """The bot's messages sent or edited after `rev` in u's chat."""
    return [r for r in u.sim.messages(u.id)["messages"] if r["from_bot"] and r["rev"] > rev]


def rev_now(u: TgUser) -> int:
    return u.sim.messages(u.id)["rev"]


def reply_text(record: dict) -> str:
    message = record["message"]
    invoice = message.get("invoice") or {}
    return text_of(record) or f"{invoice.get('title', '')} {invoice.get('description', '')}"


def assert_clear_russian_reply(u: TgUser, rev: int, what: str) -> list[str]:
    texts = [reply_text(r) for r in bot_records_since(u, rev)]
    assert texts, f"no reply to {what!r}"
    assert any(CYRILLIC.search(x) for x in texts), f"no Russian reply to {what!r}: {texts}"
    assert not any(GENERIC_ERROR in x for x in texts), f"{what!r} crashed a handler: {texts}"
    return texts


def sign(task_id: str, timestamp: str, key: str = KIE_WEBHOOK_HMAC_KEY) -> str:
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed(task_id: str, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(task_id, timestamp)}


def message_update(update_id: int, user_id: int, text: str = "/start") -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "X"},
        "from": {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "ru"}}}


@pytest.fixture
def http():
    with httpx.Client(timeout=60) as client:
        yield client


def is_photo(record) -> bool:
    return "photo" in record["message"]


def free_generation(u: TgUser) -> dict:
    u.press_data(cb.make(cb.START, "z-image"))
    u.send("кот в космосе")
    u.press("1:1")
    u.press("Запустить")
    return u.wait_for(is_photo)


def failed_generation(u: TgUser, db, kie) -> dict:
    run(db.users.adjust_balance(u.id, 10000, "adjust", f"security_{u.id}"))
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send("банан")
    u.press("Запустить")
    return u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"))


# --- the Telegram webhook ------------------------------------------------------------------------------------

WRONG_SECRETS = [{}, {"X-Telegram-Bot-Api-Secret-Token": ""}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                 {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET[:-1]},
                 {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET + "x"},
                 {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET.upper()},
                 {"X-Telegram-Bot-Api-Secret-Token": KIE_WEBHOOK_HMAC_KEY},  # another of our secrets
                 {"Authorization": f"Bearer {TELEGRAM_WEBHOOK_SECRET}"}]  # the right value in the wrong header


def test_webhook_without_the_secret_is_refused_and_writes_nothing(clean_stack, db, http):
    u = TgUser(clean_stack.url("telegram"), 7001)
    before, calls = snapshot(db), len(u.sim.calls())
    for headers in WRONG_SECRETS:
        response = http.post(clean_stack.webhook_url, json=message_update(7_000_001, 7001), headers=headers)
        assert response.status_code == 401, headers
    assert u.sim.raw_update(message_update(7_000_001, 7001), secret=None)["webhook_status"] == 401  # as Telegram posts
    assert snapshot(db) == before, "nothing written"
    assert len(u.sim.calls()) == calls, "no Bot API call (no reply to anyone)"
    # The same update with the secret is handled: the refusal above was the secret's doing.
    assert http.post(clean_stack.webhook_url, json=message_update(7_000_001, 7001), headers=SECRET).status_code == 200
    assert run(db.users.get(7001)) is not None


def test_webhook_refuses_oversized_bodies_with_413(db, http, clean_stack):
    before = snapshot(db)
    text = "я" * (3 * 1024 * 1024)  # a 6 MB update (Telegram's own are a few KB)
    body = json.dumps(message_update(7_000_002, 7002, text), ensure_ascii=False).encode()
    assert http.post(clean_stack.webhook_url, content=body, headers=AS_TELEGRAM).status_code == 413
    just_over = b'{"update_id": 7000003, "pad": "' + b"a" * (1 << 20) + b'"}'
    assert http.post(clean_stack.webhook_url, content=just_over, headers=AS_TELEGRAM).status_code == 413

    def chunks():  # no Content-Length: the limit holds on the bytes actually read
        for _ in range(40):
            yield b"a" * 65536

    chunked = http.post(clean_stack.webhook_url, content=chunks(), headers=AS_TELEGRAM)
    assert chunked.status_code == 413
    assert snapshot(db) == before
    assert run(db.users.get(7002)) is None


# Bodies that are not an update at all: bytes, JSON that is not an object, objects without a valid update_id.
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=12)
BAD_UPDATE_ID = st.one_of(st.none(), st.booleans(), st.text(max_size=10), st.floats(), st.integers(max_value=-1),
                          st.integers(min_value=2**63), st.lists(st.integers(), max_size=2))
NOT_AN_UPDATE = st.one_of(
    st.binary(max_size=300),
    JSON_VALUE.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda d, uid, keep: json.dumps({**d, **({"update_id": uid} if keep else {})}).encode(),
              st.dictionaries(st.sampled_from(["message", "callback_query", "x"]), JSON_VALUE, max_size=2),
              BAD_UPDATE_ID, st.booleans()),
)


def test_fuzzed_bodies_that_are_not_updates_get_400_and_write_nothing(clean_stack, db, http):
    u = TgUser(clean_stack.url("telegram"), 7003)
    before, calls = snapshot(db), len(u.sim.calls())

    ran: list[None] = []

    @settings(max_examples=120 * BASE_EXAMPLES, **FUZZ)
    @given(body=NOT_AN_UPDATE)
    @example(body=b"[" * 200_000 + b"]" * 200_000)  # deeper than the JSON parser goes
    @example(body=b'{"update_id": 1, "message": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001)
    @example(body=b"\xff\xfe\x00")
    @example(body=b'{"update_id": true, "message": {}}')
    @example(body=b'{"update_id": 99999999999999999999999999}')
    def check(body):
        ran.append(None)
        response = http.post(clean_stack.webhook_url, content=body, headers=AS_TELEGRAM)
        assert response.status_code == 400, (response.status_code, response.text[:200])

    check()
    assert len(ran) >= 120 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert snapshot(db) == before, "nothing written"
    assert len(u.sim.calls()) == calls, "no Bot API call"


# Updates with a valid update_id whose content is not what Telegram sends: one field of a real update
# replaced by a value of the wrong type, or a whole update kind replaced by junk.
SMALL_DICT = st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
WRONG_INT = st.one_of(st.none(), st.text(max_size=12), st.lists(st.integers(), max_size=2), SMALL_DICT, st.booleans(),
                      st.floats())  # an id is an integer: not None, not True, not 7004.0
WRONG_STR = st.one_of(st.integers(), st.lists(st.text(max_size=3), min_size=1, max_size=2), st.booleans(), st.floats(),
                      st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2))
WRONG_DATE = st.one_of(st.text(max_size=12), st.lists(st.integers(), max_size=2), SMALL_DICT)
MUTATIONS = [  # (path into the update, strategy of wrong values)
    (("message", "from", "id"), WRONG_INT), (("message", "chat", "id"), WRONG_INT),
    (("message", "message_id"), WRONG_INT), (("message", "date"), WRONG_DATE), (("message", "text"), WRONG_STR),
    (("message", "from", "first_name"), WRONG_STR), (("message", "from", "language_code"), WRONG_STR),
    (("message", "chat"), st.one_of(st.none(), st.text(max_size=5), st.integers(),
                                    st.lists(st.integers(), max_size=2))),
    (("message",), st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), min_size=1, max_size=2),
                             st.just({}))),
    (("callback_query", "from", "id"), WRONG_INT), (("callback_query", "data"), WRONG_STR),
    (("callback_query", "id"), st.one_of(st.integers(), st.lists(st.integers(), min_size=1, max_size=2),
                                         st.booleans())),
    (("callback_query",), st.one_of(st.text(max_size=5), st.integers(), st.just({}))),
    (("pre_checkout_query", "total_amount"), WRONG_INT), (("pre_checkout_query", "invoice_payload"), WRONG_STR),
]


def real_update(kind: str, update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "ru"}
    chat = {"id": user_id, "type": "private", "first_name": "X"}
    message = {"message_id": 1, "date": int(time.time()), "text": "/start", "chat": chat, "from": user}
    if kind == "message":
        return {"update_id": update_id, "message": message}
    if kind == "callback_query":
        bot_message = {**message, "from": {**user, "id": 1, "is_bot": True}}
        return {"update_id": update_id, "callback_query": {"id": "1", "from": user, "chat_instance": "1",
                                                            "data": "home", "message": bot_message}}
    return {"update_id": update_id, "pre_checkout_query": {"id": "1", "from": user, "currency": "XTR",
                                                           "total_amount": 70, "invoice_payload": "inv:abc"}}


@st.composite
def malformed_updates(draw) -> dict:
    path, wrong = draw(st.sampled_from(MUTATIONS))
    update = real_update(path[0], draw(st.integers(1, 2**62)), 7004)
    target = update
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(wrong)
    return update


def test_fuzzed_malformed_updates_are_dropped_without_a_write(clean_stack, db, http):
    u = TgUser(clean_stack.url("telegram"), 7004)
    before, calls = snapshot(db), len(u.sim.calls())

    ran: list[None] = []

    @settings(max_examples=100 * BASE_EXAMPLES, **FUZZ)
    @given(update=malformed_updates())
    @example(update={"update_id": 1, "message": {**real_update("message", 1, 7004)["message"],
                                                 "from": {"id": "7004", "is_bot": False, "first_name": "X"}}})
    @example(update={"update_id": 2, "message": {"message_id": 1, "date": "yesterday", "text": "/start",
                                                 "chat": {"id": 7004, "type": "private"}}})
    def check(update):
        ran.append(None)
        body = json.dumps(update).encode()  # NaN and Infinity too, as a broken sender would write them
        response = http.post(clean_stack.webhook_url, content=body, headers=AS_TELEGRAM)
        assert response.status_code == 200, (response.status_code, response.text[:200])

    check()
    assert len(ran) >= 100 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert snapshot(db) == before, "a malformed update wrote something (processed_updates claim, user...)"
    assert len(u.sim.calls()) == calls, "no Bot API call for a malformed update"
    # Positive control: the unmutated update is handled and writes its claim and its user.
    response = http.post(clean_stack.webhook_url, json=real_update("message", 7_000_004, 7004), headers=SECRET)
    assert response.status_code == 200
    assert run(db.users.get(7004)) is not None


# --- user input through real updates ---------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(min_size=1, max_size=200),  # any unicode but surrogates, control characters included
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co"]), min_size=1, max_size=40),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(2_500, 25_000)),  # up to 100k chars
)


@pytest.fixture
def drafting(clean_stack, db):
    """User 7101 in the wizard of a paid model (Imagen 4, 7,60 ₽), holding 1 kopeck."""
    u = TgUser(clean_stack.url("telegram"), 7101)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1, "adjust", "security_seed"))
    u.press_data(cb.make(cb.START, "google/imagen4"))
    assert "Промпт" in u.last_text()
    return u


def assert_nothing_charged(db, kie, user_id: int, balance: int = 1, entries: int = 1) -> None:
    assert money(db, user_id) == (balance, entries, [], {}), "a charge, a ledger entry, a started job or a free use"
    assert kie.get("/sim/tasks").json()["tasks"] == [], "nothing reached the provider"


def test_fuzzed_prompts_get_a_clear_reply_and_charge_nothing(drafting, db, kie):
    u = drafting

    ran: list[None] = []

    @settings(max_examples=20 * BASE_EXAMPLES, **FUZZ)
    @given(text=ODD_TEXT)
    @example(text="к" * 10_000)
    @example(text="🦄" * 100_000)
    @example(text="\x00\x01\x1b[31m\x7f")
    @example(text="\u202eevil\u200b\u200d\ufeff")
    @example(text="   \n\t  ")
    @example(text="/admin")
    def check(text):
        ran.append(None)
        rev = rev_now(u)
        u.send(text)
        assert_clear_russian_reply(u, rev, text[:80])

    check()
    assert len(ran) >= 20 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert_nothing_charged(db, kie, u.id)


def test_fuzzed_messages_at_the_menu_get_a_clear_reply(clean_stack, db, kie):
    u = TgUser(clean_stack.url("telegram"), 7103)
    u.send("/start")

    ran: list[None] = []

    @settings(max_examples=12 * BASE_EXAMPLES, **FUZZ)
    @given(text=ODD_TEXT)
    @example(text="кот " * 25_000)  # a 100k-character search once made a reply too long for Telegram
    @example(text="<b>&amp;</b>\x00")
    def check(text):
        ran.append(None)
        rev = rev_now(u)
        u.send(text)
        assert_clear_russian_reply(u, rev, text[:80])

    check()
    assert len(ran) >= 12 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert_nothing_charged(db, kie, u.id, balance=0, entries=0)


def test_an_oversized_prompt_is_refused_with_its_length(drafting, db, kie):
    u = drafting
    u.send("a" * 100_000)
    limit = load_catalog().get("google/imagen4").field("prompt").max_length
    assert u.last_text() == t("ru", "bad_value", problem=t("ru", "problem_too_long", length=100_000, max=limit))
    job = run(db.drafts.current(u.id))
    assert "prompt" not in job.inputs
    assert_nothing_charged(db, kie, u.id)


def test_control_characters_never_reach_a_prompt(drafting, db, kie):
    u = drafting
    u.send("\x00\x01\x1b\x7f")
    assert u.last_text() == t("ru", "bad_value", problem=t("ru", "problem_empty"))
    u.send("кот\x00\x1b[31m в\tкосмосе\x7f\u0085")
    job = run(db.drafts.current(u.id))
    assert job.inputs["prompt"] == "кот[31m в\tкосмосе", "control characters are dropped, tabs and text kept"
    assert_nothing_charged(db, kie, u.id)


OUT_OF_RANGE = st.integers().filter(lambda n: not 4 <= n <= 12).map(str)
NOT_INTEGER = (st.decimals(min_value=4, max_value=12, allow_nan=False, places=2)
               .filter(lambda d: d != d.to_integral_value()).map(str))
NOT_A_NUMBER = st.sampled_from(["abc", "NaN", "inf", "-Infinity", "4..5", "1e", "٣x", "десять", "0x10", "4 5", "½"])


def test_fuzzed_numbers_out_of_range_in_a_wizard_step_are_refused(clean_stack, db, kie):
    u = TgUser(clean_stack.url("telegram"), 7102)
    u.send("/start")
    u.press_data(cb.make(cb.START, "bytedance/seedance-1.5-pro"))
    u.send("кот")
    u.press("Пропустить")
    u.press("16:9")
    assert "от 4 до 12" in u.last_text()
    job_id = run(db.drafts.current(u.id)).id
    expected = {t("ru", "bad_value", problem=t("ru", p, min=4, max=12)) for p in
                ("problem_out_of_range", "problem_not_integer", "problem_not_a_number")}

    ran: list[None] = []

    @settings(max_examples=15 * BASE_EXAMPLES, **FUZZ)
    @given(value=st.one_of(OUT_OF_RANGE, NOT_INTEGER, NOT_A_NUMBER))
    @example(value="9" * 5000)
    @example(value="1e309")
    @example(value="-0")
    def check(value):
        ran.append(None)
        rev = rev_now(u)
        u.send(value)
        texts = assert_clear_russian_reply(u, rev, value)
        assert texts == [texts[0]] and texts[0] in expected, texts

    check()
    assert len(ran) >= 15 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert "duration" not in run(db.jobs.get(job_id)).inputs
    assert_nothing_charged(db, kie, u.id, balance=0, entries=0)


def forged_callback_data(job_id: str) -> st.SearchStrategy[str]:
    verbs = [cb.HOME, cb.HELP, cb.BALANCE, cb.SEARCH, cb.CATALOG, cb.MODEL, cb.START, cb.SET, cb.EDIT, cb.REVIEW,
             cb.CONFIRM, cb.CANCEL, cb.DONE, cb.REPEAT, cb.REPROMPT, cb.PAGE, cb.TOPUP, cb.LEDGER, cb.HISTORY,
             cb.HISTORY_ITEM, cb.REFERRAL, cb.RUN_EXPENSIVE, cb.CHAIN, "adm", "zz"]
    arg = st.one_of(st.integers(-3, 10**20).map(str), st.integers(0, 9).map(str), st.just(job_id), st.just("d"),
                    st.sampled_from(["image", "free", "custom", "n", "p", "up", "google/imagen4"]),
                    st.text(alphabet=string.ascii_letters + string.digits + "_-./", max_size=12))
    shaped = st.builds(lambda verb, args: ":".join([verb, *args]), st.sampled_from(verbs), st.lists(arg, max_size=4))
    return st.one_of(shaped, shaped, st.text(min_size=1, max_size=80), st.text(min_size=65, max_size=3000))


def test_fuzzed_callback_data_gets_a_plain_reply_and_charges_nothing(drafting, db, kie):
    u = drafting
    u.send("банан")  # the draft is complete: a forged "ok:<job>" would run it if money allowed
    job_id = run(db.drafts.current(u.id)).id

    ran: list[None] = []

    @settings(max_examples=30 * BASE_EXAMPLES, **FUZZ)
    @given(data=forged_callback_data(job_id))
    @example(data=f"ok:{job_id}:1")  # an extra argument once skipped the expensive-run confirmation
    @example(data=f"set:{job_id}:99:0")
    @example(data=f"set:{job_id}:0:99")
    @example(data=f"edit:{job_id}:-1")
    @example(data=f"pg:{job_id}:1:99999")
    @example(data="gh:p:99999999999999999999999")
    @example(data="x" * 5000)
    @example(data="tu:abc")
    def check(data):
        ran.append(None)
        rev = rev_now(u)
        result = u.press_data(data)
        assert result["webhook_status"] == 200, result
        answer = next(a for a in u.sim.callback_answers() if a["callback_query_id"] == result["callback_query_id"])
        assert answer["answered"], "every button press is answered"
        if cb.well_formed(data):  # a real button: its screen (an edit to the same screen changes nothing)
            texts = [reply_text(r) for r in bot_records_since(u, rev)]
            assert all(CYRILLIC.search(x) and GENERIC_ERROR not in x for x in texts), (data[:80], texts)
        else:  # forged: the plain reply any out-of-date button gets
            assert [reply_text(r) for r in bot_records_since(u, rev)] == [STALE], data[:80]

    check()
    assert len(ran) >= 30 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert_nothing_charged(db, kie, u.id)


# --- admin screens from a non-admin ------------------------------------------------------------------------

def test_non_admin_sees_nothing_of_the_admin_panel(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 7201)
    assert str(u.id) not in ADMIN_IDS.split(","), "the stack's admins are " + ADMIN_IDS
    target = TgUser(clean_stack.url("telegram"), 7202)
    target.send("/start")
    u.send("/start")
    u.send("/nosuchcommand")
    unknown_command = u.last_text()
    u.press_data("zz:1")
    unknown_button = u.last_text()
    assert unknown_command == t("ru", "unknown") and unknown_button == STALE
    rev = rev_now(u)
    u.send("/admin")
    assert u.last_text() == unknown_command, "/admin answers exactly like an unknown command"
    u.send("/refund 123")
    assert u.last_text() == unknown_command
    for section in ("menu", "err:0", "errf", "csv", "rq", "user", "u:7202", "adj:7202", "ban:7202", "unban:7202",
                    "stats:1", "models", "mt:z-image", "smoke", "kie", "bc", "bcok", "maint", "log", "", "nosuch"):
        u.press_data(f"adm:{section}" if section else "adm")
        assert u.last_text() == unknown_button, f"adm:{section}"
    u.send("7202")  # what the user-lookup prompt would have waited for
    sent = bot_records_since(u, rev)
    buttons_seen = [b.get("callback_data", "") for r in sent
                    for row in (r["message"].get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    assert not any(data.startswith("adm") for data in buttons_seen), "no admin button"
    assert not any("Админ" in reply_text(r) or "админ" in reply_text(r) for r in sent)
    assert all(a["answered"] for a in u.sim.callback_answers())
    assert run(db.system.get_setting("runtime")) is None, "no switch flipped (maintenance, models)"
    assert snapshot_collection(db, "admin_actions") == [], "no admin action recorded"
    assert not run(db.users.get(7202)).banned
    assert [text_of(r) for r in target.bot_messages()][1:] == [], "the target heard nothing"


def snapshot_collection(db, name: str) -> list[str]:
    async def go():
        return [s.id async for s in db.db.collection(name).stream()]

    return run(go())


# --- the KIE callback -----------------------------------------------------------------------------------------

@pytest.fixture
def finished_job(clean_stack, db, kie):
    """A free generation that went all the way (photo delivered), and the signed callback KIE sent for it."""
    u = TgUser(clean_stack.url("telegram"), 7301)
    u.send("/start")
    free_generation(u)
    deadline = time.monotonic() + 15
    while True:  # the photo is sent inside the callback request; KIE records the call once it is answered
        callback = next((c for c in kie.get("/sim/callbacks").json()["callbacks"] if c["status"] == 200), None)
        if callback or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert callback, "KIE delivered no callback"
    job = run(db.jobs.find_by_task(callback["taskId"]))
    assert job is not None and job.state == "succeeded"
    return u, job, callback


def job_state(db, job_id: str) -> tuple:
    job = run(db.jobs.get(job_id))
    return job.state, job.updated_at, job.result_urls, job.error_code


@pytest.fixture
def running_job(clean_stack, db, kie):
    """A free generation KIE is still working on (the simulator takes two minutes): what a forged
    callback would finish, and refund."""
    kie.post("/sim/config", json={"latency_ms": 120_000})
    u = TgUser(clean_stack.url("telegram"), 7302)
    u.send("/start")
    u.press_data(cb.make(cb.START, "z-image"))
    u.send("кот")
    u.press("1:1")
    u.press("Запустить")
    deadline = time.monotonic() + 15
    job = None
    while time.monotonic() < deadline:
        tasks = kie.get("/sim/tasks").json()["tasks"]
        if tasks:
            job = run(db.jobs.find_by_task(tasks[0]["taskId"]))
            if job is not None and job.state == "running":
                break
        time.sleep(0.1)
    assert job is not None and job.state == "running", job
    yield u, job, f"{clean_stack.url('callback')}/?job={job.id}"
    kie.post("/sim/reset")


def forged_failure(job) -> dict:
    return {"code": 200, "msg": "forged", "data": {"taskId": job.kie_task_id, "state": "fail", "failCode": "500",
                                                   "failMsg": "forged", "model": job.model_id}}


def test_callback_with_a_bad_signature_is_refused(running_job, db, http, kie):
    u, job, url = running_job
    task, now = job.kie_task_id, str(int(time.time()))
    before, messages = snapshot(db), len(u.bot_messages())
    for headers in ({}, {"X-Webhook-Timestamp": now}, {"X-Webhook-Signature": sign(task, now)},
                    {"X-Webhook-Timestamp": now, "X-Webhook-Signature": "bad"},
                    {"X-Webhook-Timestamp": now, "X-Webhook-Signature": sign(task, now, key="other-key")},
                    {"X-Webhook-Timestamp": now, "X-Webhook-Signature": sign("another-task", now)},
                    {"X-Webhook-Timestamp": str(int(now) + 1), "X-Webhook-Signature": sign(task, now)},
                    {"X-Webhook-Timestamp": "abc", "X-Webhook-Signature": sign(task, "abc")}):
        response = http.post(url, json=forged_failure(job), headers=headers)
        assert response.status_code == 401, (headers, response.text)
    assert snapshot(db) == before, "the job still runs: nothing failed, nothing given back"
    assert len(u.bot_messages()) == messages
    # Positive control: once KIE really has an outcome, a correctly signed callback ends the job.
    kie.post("/sim/config", json={"no_callback": True})
    kie.post(f"/sim/tasks/{task}/complete", json={"outcome": "fail"})
    assert http.post(url, json=forged_failure(job), headers=signed(task)).status_code == 200
    assert run(db.jobs.get(job.id)).state == "refunded"


def test_a_signed_callback_whose_body_lies_changes_nothing(running_job, db, http):
    """KIE signs only the task id and time: the outcome is read back from recordInfo, never from the body."""
    u, job, url = running_job
    before, messages = snapshot(db), len(u.bot_messages())
    assert http.post(url, json=forged_failure(job), headers=signed(job.kie_task_id)).status_code == 200
    assert snapshot(db) == before, "KIE is still generating: nothing failed, nothing given back"
    assert len(u.bot_messages()) == messages


def test_callback_outside_the_five_minute_window_is_refused(running_job, db, http, kie):
    u, job, url = running_job
    before, messages = snapshot(db), len(u.bot_messages())
    for offset_s in (-301, -3600, -10**9, 301, 3600, 10**9):  # stale (a replay) or from the future
        response = http.post(url, json=forged_failure(job), headers=signed(job.kie_task_id, time.time() + offset_s))
        assert response.status_code == 401, offset_s
    assert snapshot(db) == before
    assert len(u.bot_messages()) == messages
    # Inside the window (either side) the same signature scheme is accepted.
    kie.post("/sim/config", json={"no_callback": True})
    kie.post(f"/sim/tasks/{job.kie_task_id}/complete", json={"outcome": "fail"})
    for offset_s in (240, -240):
        response = http.post(url, json=forged_failure(job), headers=signed(job.kie_task_id, time.time() + offset_s))
        assert response.status_code == 200, offset_s
    assert run(db.jobs.get(job.id)).state != "running"


def test_signed_callback_for_an_unknown_task_changes_nothing(finished_job, db, http):
    u, job, callback = finished_job
    before, messages = snapshot(db), len(u.bot_messages())
    success = {"taskId": "no-such-task", "state": "success", "resultJson": '{"resultUrls": ["http://x/y.png"]}'}
    failure = {"taskId": "no-such-task", "state": "fail"}
    ours = dict(httpx.URL(callback["url"]).params)  # the job as our callback URL names it: signed
    assert ours["job"] == job.id and ours["sig"]
    forged = ours["sig"][:-1] + ("1" if ours["sig"].endswith("0") else "0")
    for data, params, status in ((success, {}, 200), (failure, {}, 200),
                                 (failure, ours, 400),  # a real job, but not this task's
                                 (failure, {"job": job.id}, 200),  # not signed by us: ignored
                                 (failure, {"job": job.id, "sig": forged}, 200),
                                 (failure, {"job": "../../users/7301"}, 200), (failure, {"job": "x" * 2000}, 200)):
        response = http.post(callback["url"].split("?")[0], params=params, json={"code": 200, "data": data},
                             headers=signed(data["taskId"]))
        assert response.status_code == status, (params, response.text)
    assert snapshot(db) == before, "no job moved, no ledger entry"
    assert len(u.bot_messages()) == messages


def test_replayed_or_altered_callback_of_a_finished_job_changes_nothing(finished_job, db, http):
    u, job, callback = finished_job
    before, state, messages = snapshot(db), job_state(db, job.id), len(u.bot_messages())
    # The exact request KIE sent, again (a replay inside the window)...
    assert http.post(callback["url"], json=callback["body"], headers=callback["headers"]).status_code == 200
    # ...and with the unsigned body turned into a failure, which would refund if it were believed.
    failed = {**callback["body"], "data": {**callback["body"]["data"], "state": "fail", "failMsg": "replayed"}}
    assert http.post(callback["url"], json=failed, headers=signed(job.kie_task_id)).status_code == 200
    assert job_state(db, job.id) == state
    assert snapshot(db) == before
    assert len(u.bot_messages()) == messages, "the user was told nothing more"
    assert money(db, u.id)[1] == 0, "no ledger entry"


CALLBACK_BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda data: json.dumps({"code": 200, "data": data}).encode(),
              st.dictionaries(st.sampled_from(["taskId", "task_id", "state", "resultJson", "failCode", "failMsg"]),
                              JSON_VALUE, max_size=5)),
)


def test_fuzzed_callbacks_never_get_a_5xx_and_change_nothing(finished_job, db, http):
    u, job, callback = finished_job
    url = callback["url"].split("?")[0]
    before, messages = snapshot(db), len(u.bot_messages())

    ran: list[None] = []

    @settings(max_examples=100 * BASE_EXAMPLES, **FUZZ)
    @given(body=CALLBACK_BODIES, sign_it=st.booleans(),
           job_param=st.one_of(st.none(), st.just(job.id), st.text(max_size=40)))
    @example(body=json.dumps({"data": {"taskId": "t", "state": "success", "resultJson": {"resultUrls": 1}}}).encode(),
             sign_it=True, job_param=None)
    @example(body=json.dumps({"data": {"taskId": "t" * 5000, "state": "fail"}}).encode(), sign_it=True, job_param=None)
    @example(body=b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", sign_it=False, job_param=None)
    @example(body=b'{"data": {"taskId": "' + b"a" * (2 << 20) + b'"}}', sign_it=False, job_param=None)
    def check(body, sign_it, job_param):
        ran.append(None)
        try:
            data = json.loads(body).get("data")
            task = str(data.get("taskId") or data.get("task_id") or "")
        except (ValueError, AttributeError, RecursionError):
            task = "x"
        headers = signed(task) if sign_it else {}
        params = {"job": job_param} if job_param is not None else {}
        response = http.post(url, content=body, params=params, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code in (200, 400, 401, 413), (response.status_code, response.text[:200])

    check()
    assert len(ran) >= 100 * BASE_EXAMPLES, f"the fuzzer tried only {len(ran)} inputs"
    assert snapshot(db) == before
    assert len(u.bot_messages()) == messages


# --- GCP mode: the expected OIDC identity -----------------------------------------------------------------

REFRESH_URL = "https://free-tier-refresh-123456789012.europe-west1.run.app"
SWEEP_URL = "https://reconciliation-sweep-123456789012.europe-west1.run.app"
HOUSEKEEPING_URL = "https://housekeeping-123456789012.europe-west1.run.app"


@pytest.fixture
def gcp(clean_stack, db, google, monkeypatch):
    """The functions in-process with EXPECTED_INVOKERS set, Google's keys served by the `google` fixture."""
    from shared.bootstrap import container

    apps = {target: functions_framework.create_app(target, "main.py").test_client() for target in FUNCTIONS.values()}
    auth._certs_cache.clear()
    monkeypatch.setattr(auth, "GOOGLE_CERTS_URL", google.certs_url)
    settings_ = container().settings

    def invokers(*emails: str) -> None:
        monkeypatch.setattr(settings_, "expected_invokers", list(emails))

    yield apps, invokers
    auth._certs_cache.clear()


def wrong_identities(google, audience: str, right: str, other: str) -> list[dict[str, str]]:
    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    return [{}, {"Authorization": "Basic abc"}, bearer("garbage"),
            bearer(mint(google, "https://another-function.example", email=right)),  # minted for another URL
            bearer(mint(google, audience, email=other)),  # not the expected service account
            bearer(mint(google, audience, email=right, verified=False)),
            bearer(mint(google, audience, email=right, expires_in=-600)),
            bearer(mint(google, audience, email=right, signer=google.impostor))]  # not signed by Google


def test_gcp_worker_refuses_a_caller_without_the_tasks_identity(gcp, google, clean_stack, db, kie):
    apps, invokers = gcp
    invokers(TASKS_SA)
    TgUser(clean_stack.url("telegram"), 7401).send("/start")
    job = Job(id="secjob0000000001", user_id=7401, chat_id=7401, model_id="z-image",
              inputs={"prompt": "кот", "aspect_ratio": "1:1"})
    run(db.drafts.create(job))
    run(db.drafts.confirm(job.id, 0, True, "RQ-5ec00001"))
    worker = clean_stack.url("worker")
    for headers in wrong_identities(google, worker + "/", TASKS_SA, SCHEDULER_SA):
        response = apps["generation_worker"].post("/", base_url=worker, headers=headers,
                                                  json={"job_id": job.id, "kind": "start"})
        assert response.status_code == 403, headers
    assert run(db.jobs.get(job.id)).state == "confirmed", "nothing done"
    assert kie.get("/sim/tasks").json()["tasks"] == []
    token = mint(google, worker + "/", email=TASKS_SA)
    ok = apps["generation_worker"].post("/", base_url=worker, json={"job_id": job.id, "kind": "start"},
                                        headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert run(db.jobs.get(job.id)).state != "confirmed", "the expected identity gets through"
    deadline = time.monotonic() + 20  # let the generation finish before the next test wipes the stack
    while run(db.jobs.get(job.id)).state not in ("succeeded", "failed", "refunded") and time.monotonic() < deadline:
        time.sleep(0.2)


def age_job(db, job_id: str, minutes: int) -> None:
    old = utcnow() - timedelta(minutes=minutes)
    run(db.db.collection("jobs").document(job_id).update({"confirmed_at": old, "updated_at": old}))


@pytest.mark.parametrize("target, url", [("free_tier_refresh", REFRESH_URL), ("reconciliation_sweep", SWEEP_URL),
                                         ("housekeeping", HOUSEKEEPING_URL)])
def test_gcp_scheduled_functions_refuse_a_caller_without_the_scheduler_identity(gcp, google, clean_stack, db, target,
                                                                                url):
    apps, invokers = gcp
    invokers(SCHEDULER_SA)
    TgUser(clean_stack.url("telegram"), 7402).send("/start")
    # Something each function would do: store the free tier, fail a job stuck for 20 min, delete an expired claim.
    job = Job(id="secjob0000000002", user_id=7402, chat_id=7402, model_id="z-image", inputs={"prompt": "кот"})
    run(db.drafts.create(job))
    run(db.drafts.confirm(job.id, 0, True, "RQ-5ec00002"))
    age_job(db, job.id, 20)
    run(db.system.claim_update(7_000_402))
    run(db.db.collection("processed_updates").document("7000402").update({"expire_at": utcnow() - timedelta(days=1)}))

    def effects() -> tuple:
        return (run(db.system.stored_free_tier()) is not None, run(db.jobs.get(job.id)).state,
                run(db.db.collection("processed_updates").document("7000402").get()).exists)

    assert effects() == (False, "confirmed", True)
    for headers in wrong_identities(google, url, SCHEDULER_SA, TASKS_SA):
        response = apps[target].post("/", base_url=url, headers={**headers, "X-Forwarded-Proto": "https"})
        assert response.status_code == 403, headers
    assert effects() == (False, "confirmed", True), "nothing done"
    token = mint(google, url + "/", email=SCHEDULER_SA)
    ok = apps[target].post("/", base_url=url,
                           headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"})
    assert ok.status_code == 200
    done = {"free_tier_refresh": (True, "confirmed", True), "reconciliation_sweep": (False, "failed", True),
            "housekeeping": (False, "confirmed", False)}[target]
    assert effects() == done, "the expected identity gets through"


def test_gcp_webhook_and_callback_keep_their_own_authentication(gcp, google, db):
    apps, invokers = gcp
    invokers(TASKS_SA, SCHEDULER_SA)
    webhook, callback = apps["telegram_webhook"], apps["kie_callback"]
    assert webhook.post("/", json=message_update(7_000_403, 7403)).status_code == 401
    assert webhook.post("/", json=message_update(7_000_403, 7403), headers=SECRET).status_code == 200
    assert run(db.users.get(7403)) is not None, "Telegram needs no OIDC token, only the secret"
    body = {"code": 200, "data": {"taskId": "unknown-task", "state": "fail"}}
    assert callback.post("/", json=body).status_code == 401
    assert callback.post("/", json=body, headers=signed("unknown-task")).status_code == 200


# --- logs ------------------------------------------------------------------------------------------------------

SECRETS = (TELEGRAM_BOT_TOKEN, KIE_API_KEY, TELEGRAM_WEBHOOK_SECRET, KIE_WEBHOOK_HMAC_KEY)
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def test_log_lines_are_scrubbed_of_secrets_even_from_library_errors(clean_stack):
    functions_framework.create_app("telegram_webhook", "main.py")  # main -> container() -> logs.setup(secrets)
    from shared.logs import JsonFormatter

    real_shape = "1234567890:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"  # split: test_terraform scans for tokens
    try:  # a library error that carries the Bot API URL, token included
        httpx.post(f"{clean_stack.url('telegram')}/bot{TELEGRAM_BOT_TOKEN}/noSuchMethod", timeout=10).raise_for_status()
    except httpx.HTTPStatusError:
        exc_info = sys.exc_info()
    else:
        pytest.fail("the simulator accepted an unknown method")
    assert TELEGRAM_BOT_TOKEN in str(exc_info[1]), "the error names the URL (what makes this test meaningful)"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "call failed: %s; key %s, secret %s, hmac %s, %s; %s",
                               (exc_info[1], KIE_API_KEY, TELEGRAM_WEBHOOK_SECRET, KIE_WEBHOOK_HMAC_KEY,
                                f"https://api.telegram.org/file/bot{real_shape}/photos/1.jpg",
                                "No document to update: projects/p/databases/(default)/documents/users/987654321012"),
                               exc_info)
    record.user = mask_user(987654321012)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    for secret in (*SECRETS, real_shape, "987654321012"):
        assert secret not in line, secret
    assert "documents/users/********1012" in entry["message"]
    assert "/bot<redacted>/noSuchMethod" in entry["message"] and "/file/bot<redacted>/photos" in entry["message"]
    assert TELEGRAM_BOT_TOKEN not in entry["stack_trace"] and "<redacted>" in entry["stack_trace"]
    assert entry["user"] == "********1012"


def test_function_logs_never_show_user_ids_or_secrets(clean_stack, db, kie):
    uid = 987654321012
    u = TgUser(clean_stack.url("telegram"), uid)
    u.send("/start")
    free_generation(u)
    failed_generation(u, db, kie)
    u.send("/admin")  # logged as a warning, with the user masked
    u.press_data("adm:menu")
    u.send(f"мой токен {TELEGRAM_BOT_TOKEN} и ключ {KIE_API_KEY}")  # user text never reaches a log line either
    masked = mask_user(uid)
    logs = {}
    deadline = time.monotonic() + 10
    while True:  # the worker and the callback log after the user has been told
        logs = {name: clean_stack.log_path(name).read_text(errors="replace") for name in FUNCTIONS}
        if all(masked in logs[name] for name in ("webhook", "worker", "callback")) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for name in ("webhook", "worker", "callback"):
        assert masked in logs[name], f"{name}.log has no line about the user (nothing to check)"
    for name, text in logs.items():
        assert str(uid) not in text, f"raw user id in {clean_stack.log_path(name)}"
        for secret in SECRETS:
            assert secret not in text, f"a secret in {clean_stack.log_path(name)}"
        assert not TOKEN_SHAPE.search(text), f"a bot token in {clean_stack.log_path(name)}"
