"""The Firestore store against the real emulator: money moves once, ledger and balance always agree."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from shared.domain.jobs import ErrorCode, Job, JobState
from shared.domain.users import Profile
from tests.conftest import run

LEASE = timedelta(seconds=60)


def ledger_sum(store, user_id):
    return sum(e["amount_kopecks"] for e in run(store.users.ledger_for(user_id)))


def balance(store, user_id):
    return run(store.users.get(user_id)).balance_kopecks


def new_user(store, user_id=1, bonus=0, lang="ru"):
    user, created = run(store.users.touch(Profile(user_id=user_id, chat_id=user_id, language_code=lang), bonus))
    return user


def confirmed_job(store, user_id=1, price=76, is_free=False, job_id="job1"):
    job = Job(id=job_id, user_id=user_id, chat_id=user_id, model_id="z-image", inputs={"prompt": "p"})
    run(store.drafts.create(job))
    assert run(store.drafts.confirm(job.id, price, is_free, "RQ-00000001")) is not None
    return job.id


def test_update_ids_are_claimed_once(store):
    assert run(store.system.claim_update(42)) is True
    assert run(store.system.claim_update(42)) is False
    assert run(store.system.claim_update(43)) is True


def test_start_bonus_is_one_ledger_entry_granted_once(store):
    user = new_user(store, bonus=5000)
    assert user.balance_kopecks == 5000
    again = new_user(store, bonus=5000)
    assert again.balance_kopecks == 5000
    entries = run(store.users.ledger_for(1))
    assert [(e["kind"], e["amount_kopecks"], e["balance_after_kopecks"]) for e in entries] == [("bonus", 5000, 5000)]


def test_no_bonus_means_zero_balance_and_no_entry(store):
    assert new_user(store).balance_kopecks == 0
    assert run(store.users.ledger_for(1)) == []


def test_english_language_is_detected(store):
    assert new_user(store, lang="en-US").language == "en"


def test_charge_then_refund_moves_money_exactly_once(store):
    new_user(store)
    assert run(store.users.adjust_balance(1, 1000, "adjust", "adjust_test"))
    assert not run(store.users.adjust_balance(1, 1000, "adjust", "adjust_test")), "same key applies once"
    job_id = confirmed_job(store)
    result = run(store.jobs.start(job_id, 5, LEASE))
    assert result.status == "started" and result.job.state == JobState.RUNNING
    assert balance(store, 1) == 924
    assert run(store.jobs.start(job_id, 5, LEASE)).status == "busy", "a second delivery while submitting waits"
    run(store.jobs.set_task_id(job_id, "t1"))
    assert run(store.jobs.start(job_id, 5, LEASE)).status == "not_pending"
    refunded = run(store.jobs.refund(job_id, ErrorCode.GENERATION_FAILED, "boom"))
    assert refunded.state == JobState.REFUNDED and refunded.charged_kopecks == 76
    assert run(store.jobs.refund(job_id, ErrorCode.GENERATION_FAILED, "boom")) is None
    assert run(store.jobs.succeed(job_id, ["u"])) is None
    assert balance(store, 1) == 1000 == ledger_sum(store, 1)
    kinds = sorted(e["kind"] for e in run(store.users.ledger_for(1)))
    assert kinds == ["adjust", "charge", "refund"]


def test_insufficient_funds_fails_the_job_and_charges_nothing(store):
    new_user(store)
    job_id = confirmed_job(store, price=76)
    result = run(store.jobs.start(job_id, 5, LEASE))
    assert result.status == "insufficient_funds"
    job = run(store.jobs.get(job_id))
    assert job.state == JobState.FAILED and job.error_code == "INSUFFICIENT_FUNDS"
    assert balance(store, 1) == 0 and run(store.users.ledger_for(1)) == []


def test_free_use_is_consumed_and_given_back_on_failure(store):
    new_user(store)
    first = confirmed_job(store, is_free=True, job_id="f1")
    assert run(store.jobs.start(first, 2, LEASE)).status == "started"
    assert run(store.users.free_usage(1)) == {"z-image": 1}
    run(store.jobs.refund(first, ErrorCode.TIMEOUT, "late"))
    assert run(store.users.free_usage(1)) == {"z-image": 0}
    for job_id in ("f2", "f3"):
        assert run(store.jobs.start(confirmed_job(store, is_free=True, job_id=job_id), 2, LEASE)).status == "started"
    assert run(store.jobs.start(confirmed_job(store, is_free=True, job_id="f4"), 2, LEASE)).status == "free_limit"
    assert run(store.jobs.get("f4")).error_code == "FREE_LIMIT_REACHED"
    assert balance(store, 1) == 0 and run(store.users.ledger_for(1)) == []


def test_success_is_recorded_once(store):
    new_user(store)
    run(store.users.adjust_balance(1, 100, "adjust", "a1"))
    job_id = confirmed_job(store)
    run(store.jobs.start(job_id, 5, LEASE))
    assert run(store.jobs.succeed(job_id, ["https://x/1.png"])).state == JobState.SUCCEEDED
    assert run(store.jobs.succeed(job_id, ["https://x/1.png"])) is None
    assert run(store.jobs.refund(job_id, ErrorCode.TIMEOUT, "")) is None
    assert balance(store, 1) == 24 == ledger_sum(store, 1)


def test_concurrent_duplicate_starts_charge_once(store):
    """2 jobs × 3 concurrent deliveries each: one charge per job (kept small: the emulator is slow under contention)."""
    new_user(store)
    run(store.users.adjust_balance(1, 1000, "adjust", "a1"))
    jobs = [confirmed_job(store, job_id=f"c{i}") for i in range(2)]

    async def race():
        return await asyncio.gather(*(store.jobs.start(j, 5, LEASE) for j in jobs for _ in range(3)))

    statuses = sorted(r.status for r in run(race()))
    assert statuses.count("started") == 2
    assert balance(store, 1) == 1000 - 2 * 76 == ledger_sum(store, 1)


def test_confirm_happens_once(store):
    new_user(store)
    job = Job(id="d1", user_id=1, chat_id=1, model_id="z-image")
    run(store.drafts.create(job))
    assert run(store.drafts.current(1)).id == "d1"
    assert run(store.drafts.confirm("d1", 76, False, "RQ-1")) is not None
    assert run(store.drafts.confirm("d1", 76, False, "RQ-2")) is None
    assert run(store.jobs.get("d1")).request_id == "RQ-1"


def test_free_tier_document_keeps_the_previous_value(store):
    first = run(store.system.save_free_tier(["a", "b", "c", "d", "e"], "computed", {"a": 1}))
    assert first["previous_model_ids"] == []
    second = run(store.system.save_free_tier(["a", "b", "c", "d", "f"], "computed", {"a": 1}))
    assert second["previous_model_ids"] == ["a", "b", "c", "d", "e"]
    assert run(store.system.stored_free_tier())["model_ids"] == ["a", "b", "c", "d", "f"]
