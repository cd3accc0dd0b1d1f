"""Scheduled operations through the real stack: the reconciliation sweep and the free-tier refresh."""
from __future__ import annotations

import concurrent.futures
import time
from datetime import timedelta

from shared.domain.clock import utcnow
from shared.storage.base import JOBS
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, text_of


def stuck_job(stack, db, kie, uid):
    """A paid job that KIE is still generating, whose callback and polls will never come."""
    kie.post("/sim/config", json={"latency_ms": 600000, "no_callback": True})
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, 1000, "adjust", f"t{uid}"))
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send("stuck")
    u.press("Запустить")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        jobs = [e for e in run(db.users.ledger_for(uid)) if e["kind"] == "charge"]
        if jobs:
            job = run(db.jobs.get(jobs[0]["ref"]))
            if job.kie_task_id:
                break
        time.sleep(0.1)
    stack.purge_tasks()  # no poll will ever run: only the sweep can finish it
    past = utcnow() - timedelta(hours=1)
    run(db.db.collection(JOBS).document(job.id).update({"updated_at": past, "started_at": past}))
    return u, job


def sweep_twice_at_once(stack):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return [f.result().json() for f in [pool.submit(stack.call_scheduled, "sweep") for _ in range(2)]]


def test_sweep_delivers_a_job_whose_callback_never_came(clean_stack, db, kie):
    u, job = stuck_job(clean_stack, db, kie, 9501)
    kie.post(f"/sim/tasks/{job.kie_task_id}/complete", json={"outcome": "success"})
    results = sweep_twice_at_once(clean_stack)
    assert sum(r["completed"] for r in results) >= 1
    u.wait_for(lambda r: "photo" in r["message"], timeout=20)
    assert run(db.jobs.get(job.id)).state == "succeeded"
    assert len([r for r in u.bot_messages() if "photo" in r["message"]]) == 1
    assert [e["kind"] for e in run(db.users.ledger_for(u.id))].count("charge") == 1
    assert clean_stack.call_scheduled("sweep").json()["completed"] == 0, "a third run finds nothing"


def test_sweep_refunds_a_failed_job_once(clean_stack, db, kie):
    u, job = stuck_job(clean_stack, db, kie, 9502)
    kie.post(f"/sim/tasks/{job.kie_task_id}/complete", json={"outcome": "fail"})
    sweep_twice_at_once(clean_stack)
    u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=20)
    kinds = sorted(e["kind"] for e in run(db.users.ledger_for(u.id)))
    assert kinds == ["adjust", "charge", "refund"]
    assert run(db.users.get(u.id)).balance_kopecks == 1000
    assert len([r for r in u.bot_messages() if text_of(r).startswith("❌ Генерация не удалась")]) == 1
    clean_stack.call_scheduled("sweep")
    assert sorted(e["kind"] for e in run(db.users.ledger_for(u.id))) == kinds


def test_sweep_times_out_a_job_the_provider_never_finishes(clean_stack, db, kie):
    u, job = stuck_job(clean_stack, db, kie, 9503)
    clean_stack.call_scheduled("sweep")  # started an hour ago: past the 15 min image deadline
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=20)
    assert "слишком много времени" in text_of(failure)
    assert run(db.jobs.get(job.id)).error_code == "TIMEOUT"


def test_sweep_resends_a_result_telegram_refused_and_only_once(clean_stack, db, kie):
    """Telegram asks to wait longer than a request may sleep: the result is not lost, the sweep sends it."""
    u, job = stuck_job(clean_stack, db, kie, 9504)
    flood = {"error_code": 429, "retry_after": 30, "count": 50}
    u.sim.configure(fail_methods={"sendPhoto": flood, "sendDocument": flood, "sendMessage": flood})
    kie.post(f"/sim/tasks/{job.kie_task_id}/complete", json={"outcome": "success"})
    clean_stack.call_scheduled("sweep")
    stored = run(db.jobs.get(job.id))
    assert stored.state == "succeeded" and stored.delivered_at is None and stored.delivery_until is None
    assert not [r for r in u.bot_messages() if "photo" in r["message"]]
    u.sim.configure(fail_methods={})
    past = utcnow() - timedelta(hours=1)
    run(db.db.collection(JOBS).document(job.id).update({"updated_at": past}))
    results = sweep_twice_at_once(clean_stack)
    assert sum(r["redelivered"] for r in results) == 1, results
    u.wait_for(lambda r: "photo" in r["message"], timeout=20)
    stored = run(db.jobs.get(job.id))
    assert stored.delivered_at is not None and stored.delivery_attempts == 2
    run(db.db.collection(JOBS).document(job.id).update({"updated_at": past}))
    assert clean_stack.call_scheduled("sweep").json()["redelivered"] == 0
    assert len([r for r in u.bot_messages() if "photo" in r["message"]]) == 1
    assert [e["kind"] for e in run(db.users.ledger_for(u.id))].count("charge") == 1


def test_changing_the_pricing_truth_changes_the_free_tier_without_restarting_the_webhook(clean_stack, db):
    clean_stack.call_scheduled("scheduler")  # the tier as shipped is stored
    u = TgUser(clean_stack.url("telegram"), 9510)
    u.send("/start")
    u.press("Бесплатно")
    assert "Imagen 4 —" not in u.last_text()
    path = clean_stack.pricing_truth_path
    original = path.read_text()
    try:
        path.write_text(original.replace("google/imagen4: 0.0400 USD", "google/imagen4: 0.0010 USD"))
        result = clean_stack.call_scheduled("scheduler").json()
        assert "google/imagen4" in result["model_ids"] and "google/nano-banana-edit" not in result["model_ids"]
        assert "google/nano-banana-edit" in result["previous_model_ids"]
        time.sleep(1.2)  # the webhook trusts its cached tier for SETTINGS_CACHE_SECONDS
        u.send("/start")
        u.press("Бесплатно")
        assert "Imagen 4 — осталось 5 из 5" in u.last_text()
        assert "Nano Banana — редактор" not in u.last_text() and "Nano Banana — осталось" in u.last_text()
    finally:
        path.write_text(original)
        clean_stack.call_scheduled("scheduler")


def test_housekeeping_deletes_expired_documents(clean_stack, db):
    from shared.storage.base import UPDATES

    run(db.db.collection(UPDATES).document("1").set({"update_id": 1, "expire_at": utcnow() - timedelta(days=1)}))
    run(db.db.collection(UPDATES).document("2").set({"update_id": 2, "expire_at": utcnow() + timedelta(days=1)}))
    assert clean_stack.call_scheduled("housekeeping").json()[UPDATES] == 1
    assert not run(db.db.collection(UPDATES).document("1").get()).exists
    assert run(db.db.collection(UPDATES).document("2").get()).exists
