"""End to end through the real edges: Telegram simulator -> webhook -> Firestore emulator -> Cloud Tasks
emulator -> worker -> KIE simulator -> signed callback -> the chat."""
from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of


def user(stack, user_id=5001, lang="ru") -> TgUser:
    return TgUser(stack.url("telegram"), user_id, lang)


def is_photo(record) -> bool:
    return "photo" in record["message"]


def wizard_z_image(u: TgUser, prompt="котик в космосе", ratio="16:9"):
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    assert "Промпт" in u.last_text()
    u.send(prompt)
    assert "Соотношение сторон" in u.last_text()
    u.press(ratio)
    assert "Проверьте заказ" in u.last_text()


def ledger(db, user_id):
    return sorted(run(db.users.ledger_for(user_id)), key=lambda e: e["created_at"])


def test_free_generation_from_start_to_photo(clean_stack, db, kie):
    u = user(clean_stack)
    u.send("/start")
    welcome = u.last_text()
    assert "Добро пожаловать" in welcome and "0 ₽" in welcome
    u.press("Бесплатно")
    assert "Z-Image — осталось 5 из 5" in u.last_text()
    u.press("Z-Image")
    assert "Бесплатно, осталось 5 из 5 сегодня" in u.last_text()
    u.press("Создать")
    u.send("котик в космосе")
    u.press("16:9")
    confirm = u.last_text()
    assert "котик в космосе" in confirm and "16:9" in confirm and "Бесплатно" in confirm
    u.press("Запустить")
    assert "Генерация запущена" in u.last_text() and "RQ-" in u.last_text()

    photo = u.wait_for(is_photo)
    assert "Z-Image" in text_of(photo) and "RQ-" in text_of(photo)
    task = kie.get("/sim/tasks").json()["tasks"][-1]
    assert task["model"] == "z-image"
    assert task["input"] == {"prompt": "котик в космосе", "aspect_ratio": "16:9", "nsfw_checker": True}
    assert run(db.users.free_usage(u.id)) == {"z-image": 1}
    assert run(db.users.get(u.id)).balance_kopecks == 0 and ledger(db, u.id) == []
    u.send("/start")
    u.press("Бесплатно")
    assert "Z-Image — осталось 4 из 5" in u.last_text()


def test_paid_model_with_zero_balance_is_refused_and_nothing_charged(clean_stack, db, kie):
    u = user(clean_stack, 5002)
    u.send("/start")
    u.press("Изображения")
    u.press("Imagen 4 ·")
    assert "Цена:" in u.last_text()
    u.press("Создать")
    u.send("банан в очках")
    confirm = u.last()
    assert "не хватает" in text_of(confirm)
    assert not any(data.startswith("ok:") for _, data in buttons(confirm)), "no run button without money"
    job = run(db.drafts.current(u.id))
    u.press_data(f"ok:{job.id}:760p{job.revision}")  # a forged tap, even with the right quote, is refused too
    assert "Недостаточно средств" in u.last_text()
    time.sleep(0.5)
    assert kie.get("/sim/tasks").json()["tasks"] == []
    assert ledger(db, u.id) == [] and run(db.users.get(u.id)).balance_kopecks == 0


def test_paid_generation_charges_exactly_the_price_once(clean_stack, db, kie):
    u = user(clean_stack, 5003)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 10000, "adjust", f"adjust_test_{u.id}"))
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан в очках")
    confirm = u.last_text()
    assert "7,60 ₽" in confirm and "92,40 ₽" in confirm  # 0.04 USD × 95 × 2
    u.press("Запустить")
    photo = u.wait_for(is_photo)
    assert "7,60 ₽" in text_of(photo)
    entries = ledger(db, u.id)
    assert [(e["kind"], e["amount_kopecks"]) for e in entries] == [("adjust", 10000), ("charge", -760)]
    assert run(db.users.get(u.id)).balance_kopecks == 9240 == sum(e["amount_kopecks"] for e in entries)


def test_failed_generation_refunds_once_and_shows_the_code(clean_stack, db, kie):
    u = user(clean_stack, 5004)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    kie.post("/sim/config", json={"duplicate_callbacks": 3})
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан")
    u.press("Запустить")
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"))
    text = text_of(failure)
    assert "7,60 ₽ возвращены" in text and "RQ-" in text
    time.sleep(1.5)  # let the duplicate callbacks land
    failures = [r for r in u.bot_messages() if text_of(r).startswith("❌ Генерация не удалась")]
    assert len(failures) == 1, "the user is told once"
    entries = ledger(db, u.id)
    assert [e["kind"] for e in entries] == ["adjust", "charge", "refund"]
    assert run(db.users.get(u.id)).balance_kopecks == 1000
    job = run(db.jobs.get(entries[-1]["ref"]))
    assert job.state == "refunded" and job.error_code == "GENERATION_FAILED"
    assert job.request_id in text


def test_duplicate_task_and_duplicate_callback_change_nothing(clean_stack, db, kie):
    u = user(clean_stack, 5005)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    kie.post("/sim/config", json={"duplicate_callbacks": 2})
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан")
    u.press("Запустить")
    u.wait_for(is_photo)
    entries = ledger(db, u.id)
    job_id = entries[-1]["ref"]
    deadline = time.monotonic() + 10
    while run(db.jobs.get(job_id)).delivered_at is None and time.monotonic() < deadline:
        time.sleep(0.1)  # the delivery is recorded right after the photo is sent: compare after it
    before = (run(db.jobs.get(job_id)), run(db.users.get(u.id)).balance_kopecks, len(entries))

    # The same Cloud Task delivered again, and the same callback posted again.
    worker = httpx.post(clean_stack.url("worker") + "/", json={"kind": "start", "job_id": job_id}, timeout=30)
    assert worker.status_code == 200
    callback = kie.get("/sim/callbacks").json()["callbacks"][-1]
    again = httpx.post(callback["url"], json=callback["body"], headers=callback.get("headers", {}), timeout=30)
    assert again.status_code == 200
    time.sleep(0.5)
    after = (run(db.jobs.get(job_id)), run(db.users.get(u.id)).balance_kopecks, len(ledger(db, u.id)))
    assert after[1:] == before[1:]
    assert after[0].state == before[0].state == "succeeded"
    assert after[0].updated_at == before[0].updated_at
    assert len([r for r in u.bot_messages() if is_photo(r)]) == 1
    assert len(kie.get("/sim/tasks").json()["tasks"]) == 1, "one provider task"


def test_webhook_without_secret_gets_401_and_writes_nothing(clean_stack, db):
    update = {"update_id": 777001, "message": {"message_id": 1, "date": 0, "text": "/start",
                                               "chat": {"id": 5006, "type": "private"},
                                               "from": {"id": 5006, "is_bot": False, "first_name": "X"}}}
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        response = httpx.post(clean_stack.webhook_url, json=update, headers=headers, timeout=10)
        assert response.status_code == 401
    assert run(db.users.get(5006)) is None
    assert run(db.system.claim_update(777001)) is True, "the update id was not recorded"


def test_redelivered_update_is_processed_once(clean_stack, db):
    update = {"update_id": 888001, "message": {"message_id": 1, "date": 0, "text": "/start",
                                               "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                                               "chat": {"id": 5007, "type": "private", "first_name": "X"},
                                               "from": {"id": 5007, "is_bot": False, "first_name": "X"}}}
    u = user(clean_stack, 5007)
    for _ in range(2):  # Telegram redelivers an update it thinks was lost
        assert u.sim.raw_update(update)["webhook_status"] == 200
    assert len([r for r in u.bot_messages() if "Добро пожаловать" in text_of(r)]) == 1


def run_imagen4(u: TgUser, db, prompt="банан", balance=1000):
    u.send("/start")
    run(db.users.adjust_balance(u.id, balance, "adjust", f"adjust_test_{u.id}"))
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send(prompt)
    u.press("Запустить")


def test_every_button_press_is_answered(clean_stack, db):
    u = user(clean_stack, 5008)
    wizard_z_image(u)
    answers = u.sim.callback_answers()
    assert answers and all(a["answered"] for a in answers)


def test_english_user_gets_english_screens(clean_stack, db):
    u = user(clean_stack, 5009, lang="en")
    u.send("/start")
    assert "Welcome to AI Studio" in u.last_text()
    u.press("Free")
    assert "Z-Image — 5 of 5 left" in u.last_text()


def test_provider_error_on_submit_is_retried_then_refunded(clean_stack, db, kie):
    u = user(clean_stack, 5010)
    kie.post("/sim/config", json={"create_fault": 500, "create_fault_count": 1})
    run_imagen4(u, db, balance=2000)  # enough for both runs
    u.wait_for(is_photo)  # one 500 is retried with backoff and succeeds
    kie.post("/sim/config", json={"create_fault": 422, "create_fault_count": 1})
    u.send("/start")
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан 2")
    u.press("Запустить")
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"))
    assert "отклонил" in text_of(failure) and "возвращены" in text_of(failure)
    kinds = [e["kind"] for e in ledger(db, u.id)]
    assert kinds == ["adjust", "charge", "charge", "refund"]
    assert run(db.users.get(u.id)).balance_kopecks == 2000 - 760


@pytest.fixture
def fast_polls(clean_stack):
    clean_stack.restart_functions({"POLL_DELAYS_SECONDS": "1,1,2", "TIMEOUT_IMAGE_S": "4"})
    yield clean_stack
    clean_stack.restart_functions({})


def test_lost_callback_is_recovered_by_polling(fast_polls, db, kie):
    u = user(fast_polls, 5011)
    kie.post("/sim/config", json={"no_callback": True})
    run_imagen4(u, db)
    u.wait_for(is_photo, timeout=20)
    assert kie.get("/sim/callbacks").json()["callbacks"] == []
    assert [e["kind"] for e in ledger(db, u.id)] == ["adjust", "charge"]


def test_generation_that_never_finishes_times_out_and_refunds(fast_polls, db, kie):
    u = user(fast_polls, 5012)
    kie.post("/sim/config", json={"latency_ms": 600000})
    run_imagen4(u, db)
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=30)
    assert "слишком много времени" in text_of(failure) and "RQ-" in text_of(failure)
    entries = ledger(db, u.id)
    assert [e["kind"] for e in entries] == ["adjust", "charge", "refund"]
    job = run(db.jobs.get(entries[-1]["ref"]))
    assert job.state == "refunded" and job.error_code == "TIMEOUT"
    assert run(db.users.get(u.id)).balance_kopecks == 1000
