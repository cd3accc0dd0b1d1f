"""The stack's invariants (infra/invariants.py) on hand-made worlds: each catches what it names, and a
consistent world passes all of them."""
from decimal import Decimal

from infra import invariants as inv
from infra.invariants import World

USER, INVITER = 10, 11


def ledger(kind, amount, ref, user=USER, key=None):
    return {"id": key or f"{kind}_{ref}_{user}", "kind": kind, "amount_kopecks": amount, "ref": ref, "user_id": user}


def task(task_id, job, usd="0.02", state="success", model="google/nano-banana", files=()):
    return {"taskId": task_id, "job": job, "model": model, "state": state, "priceUsd": usd, "basis": "credits",
            "billedUsd": usd if state != "fail" else "0", "inputs": {"files": list(files), "texts": {}}}


def job(job_id, price, task_id, state="succeeded", model="google/nano-banana", **extra):
    return {"id": job_id, "user_id": USER, "model_id": model, "state": state, "price_kopecks": price,
            "charged_kopecks": price, "kie_task_id": task_id, "is_free": False, **extra}


def payment(charge, user=USER, stars=70, refunded=False):
    return {"telegram_payment_charge_id": charge, "user_id": user, "currency": "XTR", "total_amount": stars,
            "refunded": refunded}


def consistent() -> World:
    """One top-up with an inviter's share, one paid success billed 0.02 USD (= 3.80 ₽ at 95 × 2)."""
    return World(
        users=[{"user_id": USER, "balance_kopecks": 10000 - 380}, {"user_id": INVITER, "balance_kopecks": 1000}],
        ledger=[ledger("topup", 10000, "c1"), ledger("referral", 1000, "c1", user=INVITER),
                ledger("charge", -380, "j1")],
        jobs=[job("j1", 380, "t1")], provider=[task("t1", "j1")], payments=[payment("c1")])


def test_a_consistent_world_passes_every_invariant():
    assert inv.money_invariants(consistent()) == {name: [] for name in inv.MONEY_INVARIANTS}


def test_price_is_rounded_up_to_a_kopeck():
    assert inv.user_price_kopecks("0.0012", Decimal(95), Decimal(2)) == 23  # 22.8 kopecks
    assert inv.user_price_kopecks("0.02", Decimal(95), Decimal("2.0")) == 380


def test_a_charge_other_than_the_bill_is_caught():
    world = consistent()
    world.provider = [task("t1", "j1", usd="0.025")]  # the provider ran the dearer option

    assert inv.provider_bill_is_the_price(world) == [
        "j1 google/nano-banana: charged 380 kop, provider billed 0.025 USD (credits) = 475 kop"]


def test_free_and_refunded_jobs_are_not_compared():
    world = consistent()
    world.jobs = [job("j1", 380, "t1", is_free=True), job("j2", 380, "t2", state="refunded")]
    world.provider = [task("t1", "j1", usd="9"), task("t2", "j2", usd="9")]

    assert inv.provider_bill_is_the_price(world) == []


def test_two_provider_tasks_for_one_job_are_caught():
    world = consistent()
    world.provider.append(task("t2", "j1", state="generating"))

    assert inv.one_provider_task_per_job(world) == ["j1: 2 provider tasks (success, generating)"]


def test_a_result_from_another_jobs_task_is_caught():
    world = consistent()
    world.provider = [task("t1", "someone-else")]

    assert inv.results_come_from_the_jobs_own_task(world) == [
        "j1: succeeded with task t1 of job someone-else (google/nano-banana)"]


def test_a_payment_without_its_credit_and_a_credit_without_a_payment_are_caught():
    world = consistent()
    world.payments.append(payment("c2"))
    world.ledger.append(ledger("topup", 500, "forged"))

    problems = inv.stars_payments_credited_once(world)

    assert problems[0].startswith("c2 (user 10, 70 XTR): []") and "forged" in problems[1] and len(problems) == 2


def test_a_refund_that_leaves_a_referral_share_is_caught():
    world = consistent()
    world.payments = [payment("c1", refunded=True)]
    world.ledger.append(ledger("payment_refund", -10000, "c1"))

    assert inv.stars_refunds_debited_once(world) == [
        "c1: Telegram refunded it, but {11: 1000} kop are still credited from it"]


def test_a_debit_without_a_refund_is_caught():
    world = consistent()
    world.ledger.append(ledger("payment_refund", -10000, "c1"))

    assert inv.stars_refunds_debited_once(world) == [
        "c1: not refunded by Telegram, yet the payer's credit is 0 of 10000"]


def test_swapped_inputs_and_unshown_prices_are_caught():
    world = consistent()
    world.provider = [task("t1", "j1", files=[{"field": "image_urls", "sha256": "b" * 64}])]

    world.jobs[0]["media"] = {"image_urls": [{"sha256": "a" * 64}]}  # what the confirmation priced
    user = world.jobs[0]["user_id"]
    assert inv.provider_got_the_users_inputs(world, {user: {"a" * 64}}) == [
        "j1 google/nano-banana: priced ['aaaaaaaa'], the provider got ['bbbbbbbb']",
        "j1 google/nano-banana: the provider got ['bbbbbbbb'], which its user never sent"]
    world.provider = [task("t1", "j1", files=[{"field": "image_urls", "sha256": "a" * 64}])]
    assert inv.provider_got_the_users_inputs(world, {user: {"a" * 64}}) == []
    assert inv.provider_got_the_users_inputs(world, {user: {"c" * 64}}) == [
        "j1 google/nano-banana: the provider got ['aaaaaaaa'], which its user never sent"]
    world.provider = [task("t1", "j1", files=[{"field": "image_urls", "sha256": "b" * 64}])]
    assert inv.charged_a_price_shown(world, {"j1": {300}}) == [
        "j1 google/nano-banana: charged 380 kop, the pressed button showed [300]"]
    assert inv.charged_a_price_shown(world, {"j1": {300, 380}}) == []
