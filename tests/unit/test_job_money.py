"""A generation's money decisions and job rules: pure functions, no I/O."""
from datetime import datetime, timedelta, timezone

from shared.clients.kie import callback_url, job_signature_ok, sign_job
from shared.domain.chains import task_source_ok
from shared.domain.jobs import (DELIVERY_ATTEMPTS, RESULT_URLS_VALID, ErrorCode, Gate, Job, JobState, abandoned,
                                can_move, classify_kie_code, delivery_step, refundable, results_fresh)
from shared.domain.money import decide_charge, decide_refund

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
QUIET = timedelta(minutes=2)


def job(**fields) -> Job:
    return Job(**{"id": "j1", "user_id": 7, "chat_id": 7, "model_id": "z-image", **fields})


def test_charge_takes_the_price_or_one_free_use_or_refuses():
    paid = decide_charge(380, False, False, 1000, 0, 5)
    assert (paid.outcome, paid.amount_kopecks, paid.balance_after) == ("paid", 380, 620) and not paid.refused
    exact = decide_charge(380, False, False, 380, 0, 5)
    assert exact.balance_after == 0
    short = decide_charge(380, False, False, 379, 0, 5)
    assert short.outcome == "insufficient_funds" and short.refused and short.amount_kopecks == 0
    free = decide_charge(0, True, False, 0, 4, 5)
    assert (free.outcome, free.free_used_after, free.amount_kopecks) == ("free", 5, 0)
    assert decide_charge(0, True, False, 10**6, 5, 5).outcome == "free_limit"
    smoke = decide_charge(500, False, True, 0, 0, 5)
    assert smoke.outcome == "smoke" and smoke.amount_kopecks == 0 and not smoke.refused


def test_refund_gives_the_money_back_once_or_the_free_use():
    back = decide_refund(380, None, False, 620, 0)
    assert (back.amount_kopecks, back.balance_after, back.gives_money) == (380, 1000, True)
    assert not decide_refund(380, None, True, 620, 0).gives_money, "the refund_<job> entry exists: nothing twice"
    free = decide_refund(0, "2026-11-20", False, 0, 3)
    assert free.free_used_after == 2 and not free.gives_money
    assert decide_refund(0, "2026-11-20", False, 0, 0).free_used_after == 0, "never below zero"
    assert decide_refund(0, None, False, 0, 0) == decide_refund(0, None, True, 5, 5), "a smoke run: nothing"


def test_provider_account_codes_are_our_outage():
    for code in (401, 433, 505):
        assert classify_kie_code(code) == ErrorCode.PROVIDER_ACCESS, code
    assert classify_kie_code(422) == ErrorCode.PROVIDER_REJECTED
    assert classify_kie_code(429) == ErrorCode.PROVIDER_RATE_LIMITED


def test_gate_refuses_maintenance_and_disabled_models_but_not_admins_or_smoke_tests():
    gate = Gate(maintenance=True, disabled_models=frozenset({"flux"}), admins=frozenset({1001}))
    assert gate.refusal(job()) == ErrorCode.MAINTENANCE
    assert gate.refusal(job(user_id=1001)) is None
    assert gate.refusal(job(model_id="flux", user_id=1001)) == ErrorCode.MODEL_DISABLED
    assert gate.refusal(job(model_id="flux", smoke_run="r1")) is None
    assert Gate().refusal(job()) is None


def test_delivery_steps_and_the_refund_after_the_last_attempt():
    done = job(state=JobState.SUCCEEDED, delivered_at=NOW)
    assert delivery_step(done, NOW) == "done" and not refundable(done, NOW)
    busy = job(state=JobState.SUCCEEDED, delivery_attempts=DELIVERY_ATTEMPTS, delivery_until=NOW + QUIET)
    assert delivery_step(busy, NOW) == "busy" and not refundable(busy, NOW), "the last attempt is still running"
    again = job(state=JobState.SUCCEEDED, delivery_attempts=2)
    assert delivery_step(again, NOW) == "deliver" and not refundable(again, NOW)
    over = job(state=JobState.SUCCEEDED, delivery_attempts=DELIVERY_ATTEMPTS)
    assert delivery_step(over, NOW) == "give_up" and refundable(over, NOW)
    assert can_move(JobState.SUCCEEDED, JobState.REFUNDED) and refundable(job(state=JobState.RUNNING), NOW)
    assert not refundable(job(state=JobState.REFUNDED), NOW) and not refundable(job(state=JobState.FAILED), NOW)


def test_abandoned_means_nothing_submitted_and_no_live_lease():
    old = NOW - timedelta(hours=1)
    assert abandoned(job(state=JobState.RUNNING, lease_until=old), NOW, QUIET)
    assert abandoned(job(state=JobState.RUNNING), NOW, QUIET)
    assert not abandoned(job(state=JobState.RUNNING, lease_until=old, submitted_at=old), NOW, QUIET), "a marker"
    assert not abandoned(job(state=JobState.RUNNING, lease_until=NOW + QUIET), NOW, QUIET), "a live lease"
    assert not abandoned(job(state=JobState.RUNNING, lease_until=NOW - QUIET / 2), NOW, QUIET), "just expired"
    assert not abandoned(job(state=JobState.RUNNING, kie_task_id="t"), NOW, QUIET)
    assert not abandoned(job(state=JobState.REFUNDED), NOW, QUIET)


def test_result_urls_are_resent_only_while_fresh():
    ok = job(state=JobState.SUCCEEDED, result_urls=["u"], finished_at=NOW - RESULT_URLS_VALID + timedelta(minutes=1))
    assert results_fresh(ok, NOW)
    assert not results_fresh(ok.model_copy(update={"finished_at": NOW - RESULT_URLS_VALID}), NOW)
    assert not results_fresh(ok.model_copy(update={"state": JobState.REFUNDED}), NOW), "given back: not re-sent"
    assert not results_fresh(ok.model_copy(update={"result_urls": []}), NOW)


def test_a_task_id_feeds_grok_upscale_only_from_the_users_own_grok_video():
    video = job(model_id="grok-imagine/text-to-video", state=JobState.SUCCEEDED, kie_task_id="t1")
    assert task_source_ok("grok-imagine/upscale", video, 7)
    assert not task_source_ok("grok-imagine/upscale", video, 8), "someone else's"
    assert not task_source_ok("grok-imagine/upscale", None, 7), "unknown to us"
    assert not task_source_ok("grok-imagine/upscale", video.model_copy(update={"state": JobState.REFUNDED}), 7)
    assert not task_source_ok("grok-imagine/upscale", video.model_copy(update={"model_id": "z-image"}), 7)
    assert not task_source_ok("z-image", video, 7), "a model that takes no task id"


def test_the_callback_url_names_the_job_only_signed():
    assert callback_url("https://cb/", "", "j1") == "https://cb/", "no key: no job in the URL (it would be ignored)"
    url = callback_url("https://cb/", "k", "j1")
    assert url == f"https://cb/?job=j1&sig={sign_job('k', 'j1')}"
    assert job_signature_ok("k", "j1", sign_job("k", "j1"))
    assert not job_signature_ok("k", "j2", sign_job("k", "j1"))
    assert not job_signature_ok("other", "j1", sign_job("k", "j1"))
    assert not job_signature_ok("k", "j1", None) and not job_signature_ok("", "j1", sign_job("", "j1"))
    assert not job_signature_ok("k", "j1", "ü" * 64), "a non-ASCII signature is refused, not a crash"


def test_a_charge_and_its_refund_are_ledger_entries_keyed_by_the_job():
    from shared.domain.money import charge_entries, refund_entries

    [charge] = charge_entries(decide_charge(380, False, False, 1000, 0, 5), "j1", 7, "RQ-1", "z-image")
    assert (charge.key, charge.kind, charge.amount_kopecks, charge.request_id) == ("charge_j1", "charge", -380, "RQ-1")
    assert charge_entries(decide_charge(0, True, False, 0, 0, 5), "j1", 7, "RQ-1", "z-image") == ()
    [back] = refund_entries(decide_refund(380, None, False, 620, 0), "j1", 7, "RQ-1", "z-image", "TIMEOUT")
    assert (back.key, back.amount_kopecks, back.note) == ("refund_j1", 380, "TIMEOUT")
    assert refund_entries(decide_refund(380, None, True, 620, 0), "j1", 7, "RQ-1", "z-image", "TIMEOUT") == ()
