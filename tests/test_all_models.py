"""Every model of the catalog, run for real through the local stack: wizard (with uploaded media), the
price shown at confirmation, the exact charge, and the delivered message type."""
from __future__ import annotations

import re
import time

import httpx
import pytest

from shared.catalog import load_catalog
from shared.domain.validation import missing_asked_field
from shared.bootstrap import connect_store
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

CATALOG = load_catalog()
KIND = {"image": "photo", "video": "video", "audio": "audio"}
PRICE = re.compile(r"Стоимость: ([\d\u00a0 ]+)(?:,(\d\d))? ₽")


@pytest.fixture(scope="module")
def world(stack):
    stack.wipe_firestore()
    stack.reset_simulators()

    async def connect():
        return connect_store(stack.project)

    return stack, run(connect())


def kopecks(text: str) -> int:
    m = PRICE.search(text)
    assert m, text
    return int(m.group(1).replace("\u00a0", "").replace(" ", "")) * 100 + int(m.group(2) or 0)


def sample_text(field) -> str:
    text = "A calm cat astronaut floating above the Moon, cinematic light"
    return text[: field.max_length or len(text)]


def media_mode(model, field) -> str | None:
    """A mode that takes files (Veo: from frames), so that the run exercises its media input."""
    return next((v for rule in model.file_counts if rule.min > 0 for k, v in rule.when.items() if k == field.name),
                None)


def fill_wizard(u: TgUser, db, model) -> str:
    """Answer every step the bot asks until the confirmation screen; return the draft job id."""
    for _ in range(20):
        if "Проверьте заказ" in u.last_text():
            return run(db.drafts.current(u.id)).id
        job = run(db.drafts.current(u.id))
        field = missing_asked_field(model, job.inputs, job.skipped)
        assert field is not None, u.last_text()
        index = model.fields.index(field)
        if field.type == "text":
            u.send(sample_text(field))
        elif field.type == "enum":
            value = media_mode(model, field) or field.default
            choice = field.values.index(value) if value in field.values else 0
            u.press_data(cb.make(cb.SET, job.id, index, choice))
        elif field.type == "boolean":
            u.press_data(cb.make(cb.SET, job.id, index, 1))  # "no": the cheaper side
        elif field.type == "number":
            u.press_data(cb.make(cb.SET, job.id, index, 0))
        elif field.type == "url":
            u.send("https://sora.chatgpt.com/p/s_68e0e7d0ab408191")
        elif field.type == "image":
            for _ in range(max(1, field.min_count or 1)):
                assert u.sim.send_photo(u.id, width=640, height=480)["webhook_status"] == 200
            if field.multiple:
                u.press_data(cb.make(cb.DONE, job.id, index))
        elif field.type in ("audio", "video"):
            assert u.sim.send_file(u.id, field.type, duration=3)["webhook_status"] == 200
            if field.multiple:
                u.press_data(cb.make(cb.DONE, job.id, index))
        else:
            raise AssertionError(f"no way to answer {field.type}")
    raise AssertionError("the wizard did not end")


def run_and_check(u: TgUser, db, model, free: bool) -> dict:
    job_id = fill_wizard(u, db, model)
    confirm = u.last_text()
    before = run(db.users.get(u.id)).balance_kopecks
    price = None if free else kopecks(confirm)
    seen = {r["message_id"] for r in u.bot_messages()}
    run_button = next(d for _, d in buttons(u.last()) if d.startswith(f"{cb.CONFIRM}:{job_id}:"))
    u.press_data(run_button)  # the run button carries the quote it shows
    second = [d for _, d in buttons(u.last()) if d.startswith(f"{cb.RUN_EXPENSIVE}:")]
    if second:  # above CONFIRM_ABOVE_RUB (Veo 3.1 Quality): the second tap
        u.press_data(second[0])
    kind = KIND[model.output]
    result = u.wait_for(lambda r: r["message_id"] not in seen and kind in r["message"], timeout=40)
    deadline = time.monotonic() + 10
    job = run(db.jobs.get(job_id))
    while job.delivered_at is None and time.monotonic() < deadline:  # written right after the send
        time.sleep(0.1)
        job = run(db.jobs.get(job_id))
    assert job.state == "succeeded", (job.state, job.error_code, job.error_message)
    after = run(db.users.get(u.id)).balance_kopecks
    if free:
        assert after == before and "Бесплатно" in confirm
    else:
        assert before - after == price == job.price_kopecks == job.charged_kopecks > 0
    return {"result": result, "job": job}


@pytest.mark.parametrize("model", [m for m in CATALOG.enabled() if m.id != "grok-imagine/upscale"], ids=lambda m: m.id)
def test_model_runs_end_to_end(world, model):
    stack, db = world
    uid = 60000 + CATALOG.models.index(model)
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, 10_000_000, "adjust", f"test_{uid}"))
    free = "Бесплатно" in (u.press_data(cb.make(cb.MODEL, model.id)) and u.last_text())
    u.press_data(cb.make(cb.START, model.id))
    out = run_and_check(u, db, model, free)
    if model.output == "image" and model.id == "grok-imagine/text-to-image":
        photos = [r for r in u.bot_messages() if "photo" in r["message"]]
        assert len(photos) >= 4, "a set of images arrives as a media group"
    assert out["job"].delivered_at is not None


def test_retired_models_are_not_offered(world):
    stack, db = world
    u = TgUser(stack.url("telegram"), 61500)
    u.send("/start")
    for model in (m for m in CATALOG.models if not m.enabled):
        u.press_data(cb.make(cb.START, model.id))
        assert "Проверьте заказ" not in u.last_text() and run(db.drafts.current(u.id)) is None, model.id
    shown = []
    for category in ("video", "tools", "audio"):
        for page in range(4):
            u.press_data(cb.make(cb.CATALOG, category, page))
            shown += [d for _, d in buttons(u.last())]
    assert not any("sora" in d or "sound-effect" in d for d in shown)
    assert {m for m in ("veo-3-1/lite", "kling-3.0/video", "suno/generate") if any(d.endswith(f":{m}") for d in shown)} \
        == {"veo-3-1/lite", "kling-3.0/video", "suno/generate"}


def callbacks_of(stack, task_id: str, count: int, timeout: float = 20.0) -> list[dict]:
    """The simulator's callback attempts for a task, once `count` have been answered."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in httpx.get(stack.url("kie") + "/sim/callbacks").json()["callbacks"] if c["taskId"] == task_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.parametrize("model_id", ["suno/generate", "suno/generate-custom"])
def test_suno_delivers_both_takes_for_one_charge(world, model_id):
    stack, db = world
    model = CATALOG.get(model_id)
    uid = 61600 + CATALOG.models.index(model)
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, 10_000_000, "adjust", f"test_{uid}"))
    u.press_data(cb.make(cb.START, model.id))

    out = run_and_check(u, db, model, free=False)  # one charge: the price on the confirmation
    time.sleep(1.0)  # the callbacks after the first (text, first, complete) must change nothing

    job = run(db.jobs.get(out["job"].id))
    assert len(job.result_urls) == 2 and job.result_urls[0] != job.result_urls[1]
    takes = [r for r in u.bot_messages() if "audio" in r["message"]]
    assert len(takes) == 2, "both takes are delivered"
    ledger = httpx.get(stack.url("kie") + "/sim/ledger").json()["tasks"]
    mine = [t for t in ledger if t["job"] == job.id]
    assert len(mine) == 1 and mine[0]["model"] == "ai-music-api/generate" and mine[0]["billedUsd"] == "0.06"
    callbacks = sorted(callbacks_of(stack, job.kie_task_id, 3), key=lambda c: c["sentAt"])
    assert [c["body"]["data"]["callbackType"] for c in callbacks] == ["text", "first", "complete"]
    assert all(c["status"] == 200 for c in callbacks)
    assert run(db.users.get(uid)).balance_kopecks == 10_000_000 - job.price_kopecks


def test_grok_upscale_runs_on_a_grok_video(world):
    stack, db = world
    uid = 61000
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, 10_000_000, "adjust", f"test_{uid}"))
    source = CATALOG.get("grok-imagine/text-to-video")
    u.press_data(cb.make(cb.START, source.id))
    first = run_and_check(u, db, source, free=False)
    labels = [text for text, _ in buttons(first["result"])]
    assert any("720p" in label for label in labels), labels
    u.press("720p")
    second = run_and_check(u, db, CATALOG.get("grok-imagine/upscale"), free=False)
    assert second["job"].inputs["task_id"] == first["job"].kie_task_id
