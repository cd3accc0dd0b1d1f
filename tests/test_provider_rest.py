"""The provider client's rest through the local stack: a createTask 429 starts the job again later (nothing
was submitted, charged once), and each job keeps what the provider billed and how long it took."""
from __future__ import annotations

from datetime import timezone

from tests.conftest import run
from tests.helpers import TgUser, text_of


def is_photo(record) -> bool:
    return "photo" in record["message"]


def paid_imagen4(u: TgUser, db, prompt="банан"):
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send(prompt)
    u.press("Запустить")


def record(kie, task_id):
    """The task as recordInfo reports it."""
    headers = {"Authorization": "Bearer local-kie-key", "Content-Type": "application/json", "User-Agent": "test"}
    return kie.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=headers).json()["data"]


def job_of(db, user_id):
    doc = run(db.jobs.recent_of(user_id, 1))[0]
    return run(db.jobs.get(doc["id"]))


def test_create_task_429_starts_again_at_least_10_s_later_and_charges_once(clean_stack, db, kie):
    u = TgUser(clean_stack.url("telegram"), 9721)
    kie.post("/sim/config", json={"create_fault": 429, "create_fault_count": 1})
    paid_imagen4(u, db)
    photo = u.wait_for(is_photo, timeout=90)
    assert "7,60 ₽" in text_of(photo)
    job = job_of(db, u.id)
    assert len(kie.get("/sim/tasks").json()["tasks"]) == 1, "submitted once, after the 429"
    waited = record(kie, job.kie_task_id)["createTime"] / 1000 - job.started_at.replace(tzinfo=timezone.utc).timestamp()
    assert waited >= 10, f"createTask again {waited:.1f} s after the 429: inside the provider's 10 s window"
    assert job.submit_attempts == 1
    kinds = [(e["kind"], e["amount_kopecks"]) for e in run(db.users.ledger_for(u.id))]
    assert sorted(kinds) == sorted([("adjust", 1000), ("charge", -760)]), "charged once"


def test_429s_past_the_last_attempt_are_refunded(clean_stack, db, kie):
    clean_stack.restart_functions({"SUBMIT_429_DELAY_S": "10", "SUBMIT_429_ATTEMPTS": "1"})
    try:
        u = TgUser(clean_stack.url("telegram"), 9722)
        kie.post("/sim/config", json={"create_fault": 429, "create_fault_count": 5})
        paid_imagen4(u, db)
        failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=90)
        assert "7,60 ₽ возвращены" in text_of(failure)
        job = job_of(db, u.id)
        assert job.error_code == "PROVIDER_RATE_LIMITED" and job.submit_attempts == 1
        assert sorted(e["kind"] for e in run(db.users.ledger_for(u.id))) == ["adjust", "charge", "refund"]
    finally:
        clean_stack.restart_functions({})


def test_the_job_keeps_the_providers_credits_and_cost_time(clean_stack, db, kie):
    u = TgUser(clean_stack.url("telegram"), 9723)
    paid_imagen4(u, db)
    u.wait_for(is_photo, timeout=60)
    job = job_of(db, u.id)
    billed = record(kie, job.kie_task_id)
    assert job.credits_consumed == 8 == billed["creditsConsumed"]  # 0.04 USD
    assert job.cost_time_ms == billed["costTime"] and job.cost_time_ms > 0
