"""Model health and honest waiting through the local stack: marks and typical times computed from recorded
generation events by the scheduled pass, a degraded model's healthy alternative, and the "in progress"
message edited with the elapsed and expected time while a slow run waits."""
from __future__ import annotations

import uuid

from shared.domain.jobs import Job
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

HEALTHY, DEGRADED = "google/imagen4", "google/nano-banana"


def record(db, model_id: str, status: str, seconds: float | None = None, error: str | None = None):
    """An event as the pipeline records it when a job ends (shared/app/endings.py `finished`)."""
    job = Job(id=uuid.uuid4().hex[:12], user_id=1, chat_id=1, model_id=model_id, request_id="RQ-test",
              error_code=error)
    run(db.jobs.record_event(job, status, "image", int(seconds * 1000) if seconds else None))


def test_cards_show_health_and_typical_time_and_a_degraded_model_suggests_a_healthy_one(clean_stack, db):
    for seconds in (38, 40, 41, 45, 39):
        record(db, HEALTHY, "success", seconds)
    record(db, DEGRADED, "success", 12)
    for _ in range(4):
        record(db, DEGRADED, "failed", error="GENERATION_FAILED")
    assert clean_stack.call_scheduled("housekeeping").status_code == 200
    stored = run(db.system.get_setting("model_health"))["models"]
    assert stored[HEALTHY]["mark"] == "good" and stored[HEALTHY]["typical_s"] == 40
    assert stored[DEGRADED]["mark"] == "poor"

    u = TgUser(clean_stack.url("telegram"), 9731)
    u.send("/start")
    u.press_data(cb.make(cb.CATALOG, "image"))
    labels = [text for text, _ in buttons(u.last())]
    assert any(text.startswith("🟢 Imagen 4 ·") for text in labels), labels
    u.press_data(cb.make(cb.MODEL, HEALTHY))
    assert "🟢 работает стабильно · обычно ~40 сек" in u.last_text()
    u.press_data(cb.make(cb.MODEL, DEGRADED))
    card = u.last_text()
    assert "🔴 сейчас много сбоев" in card and "Похожая модель работает без сбоев: Imagen 4" in card
    u.press("➡️ Imagen 4")
    assert "Imagen 4" in u.last_text() and "🟢" in u.last_text()

    en = TgUser(clean_stack.url("telegram"), 9732, lang="en")
    en.send("/start")
    en.press_data(cb.make(cb.MODEL, HEALTHY))
    assert "🟢 running smoothly · usually ~40 s" in en.last_text()


def test_the_status_message_shows_elapsed_and_expected_time_while_a_slow_run_waits(clean_stack, db, kie):
    for seconds in (8, 9, 10):
        record(db, HEALTHY, "success", seconds)
    assert clean_stack.call_scheduled("housekeeping").status_code == 200
    clean_stack.restart_functions({"STATUS_EDIT_S": "5"})
    try:
        kie.post("/sim/config", json={"latency_ms": 17000})
        u = TgUser(clean_stack.url("telegram"), 9733)
        u.send("/start")
        run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
        u.press_data(cb.make(cb.MODEL, HEALTHY))
        u.press("Создать")
        u.send("банан")
        u.press("Запустить")
        started = u.wait_for(lambda r: "Генерация запущена" in text_of(r))
        assert "около 9 сек" in text_of(started), "the expected time is this model's, not a generic one"
        waiting = u.wait_for(lambda r: "Генерация идёт" in text_of(r), timeout=30)
        assert waiting["message_id"] == started["message_id"], "the same message is edited, not a new one"
        assert "обычно эта модель отвечает за ~9 сек" in text_of(waiting) and "Прошло" in text_of(waiting)
        u.wait_for(lambda r: "photo" in r["message"], timeout=60)
        final = u.wait_for(lambda r: r["message_id"] == started["message_id"] and "Готово" in text_of(r), timeout=20)
        assert "Генерация идёт" not in text_of(final)
        edits = [c for c in u.sim.calls("editMessageText") if str(c["params"].get("message_id")) == str(started["message_id"])
                 and "Генерация идёт" in str(c["params"].get("text"))]
        assert 2 <= len(edits) <= 5, f"edited every ~5 s while waiting ~17 s, not more: {len(edits)}"
        actions = [c for c in u.sim.calls("sendChatAction") if str(c["params"].get("chat_id")) == str(u.id)]
        assert len(actions) >= 3 and all(c["params"]["action"] == "upload_photo" for c in actions)
    finally:
        clean_stack.restart_functions({})
