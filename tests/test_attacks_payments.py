"""Attacks on money that comes from Telegram (issue 11, items 5, 6, 7, 9, 12's rate limit, 13's adjustments
and refunded_payment), through the real local stack: the Telegram simulator pays real invoices and
refunds through its control API, the functions run under functions-framework on the Firestore emulator.

Every test here failed on commit 7cfa82b."""
from __future__ import annotations

import concurrent.futures
import threading
import time
from datetime import timedelta

import pytest

from infra.stack import ADMIN_IDS
from infra.telegram_sim.client import SimClient
from shared.domain.clock import utcnow
from shared.domain.money import referral_code
from shared.storage.base import USERS
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, text_of

ADMIN = int(ADMIN_IDS.split(",")[0])


# --- helpers -------------------------------------------------------------------------------------------------

def open_invoice(u: TgUser, rub: int) -> dict:
    u.send("/balance")
    u.press("Пополнить")
    u.press(f"{rub} ₽")
    return next(r for r in reversed(u.bot_messages()) if "invoice" in r["message"])


def top_up(u: TgUser, rub: int) -> str:
    paid = u.sim.pay(u.id, open_invoice(u, rub)["message_id"])
    assert paid["pre_checkout"]["ok"] is True and paid["payment"]["webhook_status"] == 200, paid
    return paid["payment"]["charge_id"]


def balance(db, uid: int) -> int:
    return run(db.users.get(uid)).balance_kopecks


def ledger(db, uid: int) -> list[dict]:
    return sorted(run(db.users.ledger_for(uid)), key=lambda e: e["created_at"])


def assert_books_balance(db, *uids: int) -> None:
    for uid in uids:
        assert balance(db, uid) == sum(e["amount_kopecks"] for e in ledger(db, uid)), f"user {uid}"


def payment(db, charge: str) -> dict:
    """payments/{charge id}, as an admin reads it in the console."""
    snap = run(db.db.collection("payments").document(charge).get())
    assert snap.exists, f"no payments/{charge}"
    return snap.to_dict()


def stars_refunded(u: TgUser, charge: str) -> bool:
    return next(p for p in u.sim.payments() if p["telegram_payment_charge_id"] == charge)["refunded"]


def admin_says(stack, text: str) -> str:
    a = TgUser(stack.url("telegram"), ADMIN)
    a.send(text)
    return a.last_text()


def sweep(stack) -> dict:
    response = stack.call_scheduled("sweep")
    assert response.status_code == 200, response.text
    return response.json()


# --- 5: a Stars refund reverses the inviter's referral share ---------------------------------------------------

def test_attack_05_stars_refund_reverses_referral_share(clean_stack, db):
    """A second account tops up through the first one's invite link and gets the Stars back: the share it
    earned the inviter goes back with it, in the refund's transaction, once."""
    inviter = TgUser(clean_stack.url("telegram"), 11501)
    inviter.send("/start")
    farm = TgUser(clean_stack.url("telegram"), 11502)
    farm.send(f"/start ref_{referral_code(inviter.id)}")
    charge = top_up(farm, 1000)
    assert balance(db, inviter.id) == 10000 and balance(db, farm.id) == 2000 + 100000

    assert "Возврат выполнен" in admin_says(clean_stack, f"/refund {charge}")
    assert stars_refunded(farm, charge)
    assert balance(db, farm.id) == 2000, "the top-up went back"
    assert balance(db, inviter.id) == 0, "and the share it paid the inviter with it"
    assert [e["kind"] for e in ledger(db, inviter.id)] == ["referral", "referral_reversal"]
    assert run(db.users.get(inviter.id)).referral_income_kopecks == 0
    assert "уже возвращён" in admin_says(clean_stack, f"/refund {charge}")
    assert balance(db, inviter.id) == 0 and len(ledger(db, inviter.id)) == 2
    assert payment(db, charge)["refund"] == "done"

    # The inviter already spent the share of a second top-up: the refund is refused, nothing moves.
    second = top_up(farm, 500)
    run(db.users.adjust_balance(inviter.id, -4000, "adjust", "spent_share"))
    answer = admin_says(clean_stack, f"/refund {second}")
    assert "Возврат невозможен" in answer and str(inviter.id) in answer and "50 ₽" in answer
    assert not stars_refunded(farm, second)
    assert balance(db, farm.id) == 2000 + 50000 and balance(db, inviter.id) == 1000
    assert payment(db, second)["refund"] is None
    assert_books_balance(db, inviter.id, farm.id)


# --- 6: a paid top-up is never lost to a claim or a transient error ---------------------------------------------

def test_attack_06_lost_claim_answer_does_not_drop_payment(clean_stack, db):
    """The dedupe claim's write applied but its answer was lost: the claim document is there. The
    successful_payment must still be credited, exactly once, however often Telegram delivers it."""
    u = TgUser(clean_stack.url("telegram"), 11601)
    u.send("/start")
    paid = u.sim.pay(u.id, open_invoice(u, 300)["message_id"], deliver=False)
    update = paid["payment"]["update"]
    run(db.db.collection("processed_updates").document(str(update["update_id"])).create(
        {"update_id": update["update_id"], "owner": "a lost answer", "processed_at": utcnow()}))
    assert u.sim.raw_update(update)["webhook_status"] == 200
    assert balance(db, u.id) == 30000
    assert u.sim.raw_update(update)["webhook_status"] == 200, "redelivered"
    assert balance(db, u.id) == 30000 and [e["kind"] for e in ledger(db, u.id)] == ["topup"]
    assert "Баланс пополнен на 300 ₽" in u.last_text()
    record = payment(db, paid["payment"]["charge_id"])
    assert (record["user_id"], record["stars"], record["amount_kopecks"], record["status"]) == (u.id, 210, 30000,
                                                                                                "credited")


def test_attack_06_failed_credit_answers_non_2xx_and_redelivery_credits_once(clean_stack, db):
    """The credit transaction fails (a storage error): the webhook must not answer 200, so that Telegram
    delivers the payment again; the redelivery credits it once."""
    u = TgUser(clean_stack.url("telegram"), 11602)
    u.send("/start")
    invoice = open_invoice(u, 100)
    user_ref = db.db.collection(USERS).document(str(u.id))
    run(user_ref.update({"balance_kopecks": "unreadable"}))  # the next credit transaction fails
    paid = u.sim.pay(u.id, invoice["message_id"])
    assert paid["payment"]["webhook_status"] not in (200, None), paid
    run(user_ref.update({"balance_kopecks": 0}))  # the fault is over
    message = next(r for r in u.sim.messages(u.id)["messages"] if "successful_payment" in r["message"])["message"]
    update = {"update_id": paid["payment"]["update_id"], "message": message}
    assert u.sim.raw_update(update)["webhook_status"] == 200
    assert u.sim.raw_update(update)["webhook_status"] == 200
    assert balance(db, u.id) == 10000 and [e["kind"] for e in ledger(db, u.id)] == ["topup"]


def test_attack_06_a_claim_retried_by_the_client_library_is_still_ours(store):
    """What the client library does when a create's answer is lost: it sends the same create again and
    gets AlreadyExists. The claim carries our owner token, so it is ours, not a duplicate."""
    run(store.db.collection("processed_updates").document("4242").create({"update_id": 4242, "owner": "ours"}))
    assert run(store.system.claim_update(4242, owner="ours")) is True
    assert run(store.system.claim_update(4242)) is False, "a real redelivery is still a duplicate"


def test_attack_06_reconciliation_credits_lost_payments_and_debits_refunds_outside_the_bot(clean_stack, db):
    """Telegram's record of star transactions is the truth: a payment whose update never reached us is
    credited by the sweep, and a refund made outside the bot (with or without a refunded_payment update)
    is debited, each exactly once."""
    inviter = TgUser(clean_stack.url("telegram"), 11603)
    inviter.send("/start")
    u = TgUser(clean_stack.url("telegram"), 11604)
    u.send(f"/start ref_{referral_code(inviter.id)}")
    lost = u.sim.pay(u.id, open_invoice(u, 300)["message_id"], deliver=False)["payment"]["charge_id"]
    assert balance(db, u.id) == 2000, "the update never came"
    counts = sweep(clean_stack)
    assert balance(db, u.id) == 2000 + 30000 and balance(db, inviter.id) == 3000
    assert counts["stars_credited"] == 1
    assert "Баланс пополнен на 300 ₽" in u.last_text(), "the user is told"
    assert payment(db, lost)["source"] == "reconciliation"
    assert sweep(clean_stack).get("stars_credited", 0) == 0
    assert balance(db, u.id) == 32000

    u.sim.refund_outside(u.id, lost, notify=False)  # only the star transaction tells us
    assert sweep(clean_stack)["stars_refunds_debited"] == 1
    assert balance(db, u.id) == 2000 and balance(db, inviter.id) == 0
    assert "возвращён" in u.last_text()
    sweep(clean_stack)
    assert balance(db, u.id) == 2000 and balance(db, inviter.id) == 0
    record = payment(db, lost)
    assert (record["refund"], record["refund_source"]) == ("done", "telegram")

    second = top_up(u, 100)
    refunded = u.sim.refund_outside(u.id, second)  # Telegram also sends refunded_payment
    assert refunded["update"]["webhook_status"] == 200
    assert balance(db, u.id) == 2000
    sweep(clean_stack)
    assert balance(db, u.id) == 2000, "the sweep finds it booked"
    assert [e["kind"] for e in ledger(db, u.id)].count("payment_refund") == 2
    assert_books_balance(db, u.id, inviter.id)


# --- 7: a banned user's payment ---------------------------------------------------------------------------

def test_attack_07_banned_user_payment(clean_stack, db):
    """Banned at pre-checkout: refused, no Stars taken. Banned between pre-checkout and the payment: the
    Stars are paid, so they are credited and the charge id is recorded."""
    u = TgUser(clean_stack.url("telegram"), 11701)
    u.send("/start")
    invoice = open_invoice(u, 100)
    run(db.users.set_fields(u.id, banned=True))
    refused = u.sim.pay(u.id, invoice["message_id"])
    assert refused["pre_checkout"]["ok"] is False and "ограничен" in refused["pre_checkout"]["error_message"]
    assert refused["payment"] is None and u.sim.payments() == []

    second = open_invoice_as(u, db, 300)
    paid = u.sim.pay(u.id, second["message_id"], skip_precheckout=True)  # it passed before the ban
    charge = paid["payment"]["charge_id"]
    assert paid["payment"]["webhook_status"] == 200
    assert balance(db, u.id) == 30000 and [e["kind"] for e in ledger(db, u.id)] == ["topup"]
    record = payment(db, charge)
    assert (record["user_id"], record["stars"], record["amount_kopecks"]) == (u.id, 210, 30000)
    assert record["invoice_id"] and record["created_at"]


def open_invoice_as(u: TgUser, db, rub: int) -> dict:
    """An invoice opened while the user could still use the bot."""
    run(db.users.set_fields(u.id, banned=False))
    invoice = open_invoice(u, rub)
    run(db.users.set_fields(u.id, banned=True))
    return invoice


# --- 9: a Stars refund has its own state ---------------------------------------------------------------

def test_attack_09_failed_refund_can_be_retried(clean_stack, db):
    """Telegram refuses the first refundStarPayment: the balance is restored and the refund is failed, not
    'already refunded'; the next /refund goes through, and only then is it 'already refunded'."""
    u = TgUser(clean_stack.url("telegram"), 11901)
    u.send("/start")
    charge = top_up(u, 100)
    u.sim.configure(fail_methods={"refundStarPayment": {"error_code": 400, "description": "Bad Request: REFUND_FAILED",
                                                        "count": 1}})
    assert "Telegram отказал" in admin_says(clean_stack, f"/refund {charge}")
    assert balance(db, u.id) == 10000 and not stars_refunded(u, charge)
    failed = run(db.db.collection("payments").document(charge).get()).to_dict() or {}  # checked below
    assert "Возврат выполнен" in admin_says(clean_stack, f"/refund {charge}"), "a retry is not 'already refunded'"
    assert stars_refunded(u, charge) and balance(db, u.id) == 0
    assert (failed.get("refund"), failed.get("refund_attempts")) == ("failed", 1)
    assert "refund_failed" in failed["refund_error"].lower()
    assert "уже возвращён" in admin_says(clean_stack, f"/refund {charge}")
    assert balance(db, u.id) == 0 and payment(db, charge)["refund"] == "done"
    assert_books_balance(db, u.id)


def test_attack_09_refund_whose_answer_is_lost_keeps_the_debit(clean_stack, db):
    """Telegram refunds, but its answer never arrives (a gateway error after the fact): the refund is
    settled against Telegram's star transactions, so the user does not keep both the Stars and the money."""
    u = TgUser(clean_stack.url("telegram"), 11902)
    u.send("/start")
    charge = top_up(u, 100)
    u.sim.configure(fail_methods={"refundStarPayment": {"error_code": 502, "applied": True, "count": 1}})
    assert "Возврат выполнен" in admin_says(clean_stack, f"/refund {charge}")
    assert stars_refunded(u, charge)
    assert balance(db, u.id) == 0, "the Stars went back: so did the money"
    sweep(clean_stack)
    assert balance(db, u.id) == 0 and payment(db, charge)["refund"] == "done"
    assert_books_balance(db, u.id)


def test_attack_09_unanswered_refund_stays_pending_until_telegram_record_settles_it(clean_stack, db):
    """No answer and no refund in Telegram's record: the refund stays pending (never reverted on a guess);
    once the call is long over, the sweep reverts it, and it can be retried."""
    u = TgUser(clean_stack.url("telegram"), 11903)
    u.send("/start")
    charge = top_up(u, 100)
    u.sim.configure(fail_methods={"refundStarPayment": {"error_code": 502, "count": 1}})
    assert "не ответил" in admin_says(clean_stack, f"/refund {charge}")
    assert balance(db, u.id) == 0 and payment(db, charge)["refund"] == "pending"
    assert "не ответил" in admin_says(clean_stack, f"/refund {charge}"), "not refunded twice meanwhile"
    sweep(clean_stack)
    assert payment(db, charge)["refund"] == "pending", "too early to decide"
    run(db.db.collection("payments").document(charge).update({"refund_requested_at": utcnow() - timedelta(hours=1)}))
    assert sweep(clean_stack)["stars_refunds_reverted"] == 1
    assert balance(db, u.id) == 10000 and payment(db, charge)["refund"] == "failed"
    assert "Возврат выполнен" in admin_says(clean_stack, f"/refund {charge}")
    assert balance(db, u.id) == 0 and stars_refunded(u, charge)
    assert_books_balance(db, u.id)


# --- 13: admin adjustments never take a balance below zero ------------------------------------------------------

def test_attack_13_admin_adjust_never_negative(clean_stack, db, kie):
    """Debits of 60 ₽ typed at once on a 100 ₽ balance (five rounds; in the first, the user's paid
    generation is charged at the same moment): the check is inside each transaction, so one debit per
    round applies and the balance never goes below zero."""
    uid = 11913
    u = TgUser(clean_stack.url("telegram"), uid)
    u.send("/start")
    a = TgUser(clean_stack.url("telegram"), ADMIN)
    a.send("/admin")
    for round_no in range(5):
        run(db.users.adjust_balance(uid, 10000 - balance(db, uid), "adjust", f"seed_{uid}_{round_no}"))  # back to 100 ₽
        if round_no == 0:
            u.press_data(cb.make(cb.START, "google/imagen4"))
            u.send("a cat")  # the confirmation screen, with its Run button
        a.press_data(f"adm:adj:{uid}")  # the admin panel now waits for the amount
        confirm = (lambda: u.press("Запустить")["webhook_status"]) if round_no == 0 else None
        assert all_at_once(clean_stack, [f"-60 раунд {round_no} попытка {i}" for i in range(8)], confirm)
        if confirm:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(e["kind"] == "charge" for e in ledger(db, uid)):
                time.sleep(0.2)
        time.sleep(0.5)
        assert all(e["balance_after_kopecks"] >= 0 for e in ledger(db, uid)), [
            (e["kind"], e["balance_after_kopecks"]) for e in ledger(db, uid)]
        debits = [e for e in ledger(db, uid) if e["amount_kopecks"] == -6000]
        assert len(debits) == round_no + 1, f"round {round_no}: {len(debits)} debits of 60 ₽ in all"
    assert any(e["kind"] == "charge" for e in ledger(db, uid)) and balance(db, uid) >= 0
    assert_books_balance(db, uid)


def all_at_once(stack, texts: list[str], extra=None) -> bool:
    """Send the admin's messages (and run `extra`) at the same moment, each on its own connection."""
    clients = [SimClient(stack.url("telegram")) for _ in texts]
    for client in clients:
        client.webhook()  # connect first, so that the messages leave together
    jobs = [lambda c=c, text=text: c.send_text(ADMIN, text)["webhook_status"] for c, text in zip(clients, texts)]
    jobs += [extra] if extra else []
    barrier = threading.Barrier(len(jobs))

    def go(job):
        barrier.wait()
        return job()

    try:
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            return all(status == 200 for status in pool.map(go, jobs))
    finally:
        for client in clients:
            client.close()


# --- 12: a per-user rate limit --------------------------------------------------------------------------

@pytest.fixture
def low_limits(clean_stack):
    clean_stack.restart_functions({"USER_UPDATES_PER_MINUTE": "4", "USER_UPLOADS_PER_MINUTE": "2"})
    yield clean_stack
    clean_stack.restart_functions({})


def test_attack_12_rate_limit_on_updates_and_uploads(low_limits, db):
    """A user over the limit gets one short line and nothing else is done; payments, pre-checkouts and
    admins are never limited."""
    stack = low_limits
    u = TgUser(stack.url("telegram"), 11121)
    invoice = open_invoice(u, 100)  # /balance, the top-up button, the amount: 3 of the 4
    before = len(u.bot_messages())
    for _ in range(6):
        u.send("/help")
    replies = [text_of(r) for r in u.bot_messages()[before:]]
    assert sum("Слишком много сообщений" in r for r in replies) == 1, replies
    assert len(replies) <= 2, replies  # at most one /help answered, then the notice, then silence

    paid = u.sim.pay(u.id, invoice["message_id"])  # money is never limited
    assert paid["pre_checkout"]["ok"] is True and balance(db, u.id) == 10000
    assert "Баланс пополнен" in u.last_text()

    files = TgUser(stack.url("telegram"), 11122)
    for i in range(4):
        assert files.sim.send_photo(files.id, width=64 + i, height=64)["webhook_status"] == 200
    replies = [text_of(r) for r in files.bot_messages()]
    assert sum("Слишком много сообщений" in r for r in replies) == 1, replies
    assert len(replies) == 3, replies  # two files handled, then the notice, then silence

    a = TgUser(stack.url("telegram"), ADMIN)
    before = len(a.bot_messages())
    for _ in range(6):
        a.send("/help")
    assert len(a.bot_messages()) - before == 6, "admins are never limited"
