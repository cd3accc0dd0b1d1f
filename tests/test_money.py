"""Money through the real edges: Stars invoices and payments, refunds, ledger, history, referrals."""
from __future__ import annotations

import time
from datetime import timedelta

from infra.stack import ADMIN_IDS
from shared.domain.clock import utcnow
from shared.domain.jobs import Job, JobState
from shared.domain.money import referral_code
from shared.storage.base import JOBS, LEDGER
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

ADMIN = int(ADMIN_IDS.split(",")[0])


def invoice_message(u: TgUser):
    return next(r for r in reversed(u.bot_messages()) if "invoice" in r["message"])


def top_up(u: TgUser, rub: int = 300) -> dict:
    u.send("/balance")
    u.press("Пополнить")
    u.press(f"{rub} ₽")
    paid = u.sim.pay(u.id, invoice_message(u)["message_id"])
    assert paid["pre_checkout"]["ok"] is True, paid
    return paid


def balance(db, uid):
    return run(db.users.get(uid)).balance_kopecks


def ledger_sum(db, uid):
    return sum(e["amount_kopecks"] for e in run(db.users.ledger_for(uid)))


def test_stars_payment_credits_once_and_refund_debits_once(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8001)
    u.send("/start")
    u.send("/balance")
    u.press("Пополнить")
    assert "300 ₽ · 210 ⭐" in [t for t, _ in buttons(u.last())]
    u.press("300 ₽")
    invoice = invoice_message(u)["message"]["invoice"]
    assert invoice["currency"] == "XTR" and invoice["total_amount"] == 210
    paid = u.sim.pay(u.id, invoice_message(u)["message_id"])
    assert paid["pre_checkout"]["ok"] and paid["payment"]["charge_id"]
    assert "Баланс пополнен на 300 ₽" in u.last_text()
    assert balance(db, u.id) == 30000

    # Telegram delivers the same successful_payment again, under a new update id.
    payment_message = next(r for r in reversed(u.sim.messages(u.id)["messages"])
                           if "successful_payment" in r["message"])["message"]
    replay = {"update_id": 99_000_001, "message": {**payment_message, "message_id": 999}}
    assert u.sim.raw_update(replay)["webhook_status"] == 200
    assert balance(db, u.id) == 30000 == ledger_sum(db, u.id)

    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send("/start")
    charge = paid["payment"]["charge_id"]
    admin.send(f"/refund {charge}")
    assert "Возврат выполнен" in admin.last_text()
    admin.send(f"/refund {charge}")
    assert "уже возвращён" in admin.last_text()
    assert balance(db, u.id) == 0 == ledger_sum(db, u.id)
    assert [p["refunded"] for p in u.sim.payments()] == [True]


def test_refund_is_refused_when_the_money_was_spent(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8002)
    u.send("/start")
    charge = top_up(u, 100)["payment"]["charge_id"]
    run(db.users.adjust_balance(u.id, -5000, "adjust", "spent_test"))
    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send(f"/refund {charge}")
    assert "Возврат невозможен" in admin.last_text()
    assert balance(db, u.id) == 5000 and [p["refunded"] for p in u.sim.payments()] == [False]


def test_non_admin_cannot_refund(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8003)
    u.send("/start")
    charge = top_up(u, 100)["payment"]["charge_id"]
    u.send(f"/refund {charge}")
    assert "Не понял" in u.last_text() and balance(db, u.id) == 10000


def test_precheckout_refuses_unknown_and_stale_invoices(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8004)
    u.send("/start")
    u.send("/balance")
    u.press("Пополнить")
    u.press("Другая сумма")
    u.send("750")
    message = invoice_message(u)
    assert message["message"]["invoice"]["total_amount"] == 525
    invoice_id = message["invoice_private"]["payload"].split(":", 1)[1]
    run(db.db.collection("invoices").document(invoice_id).update({"stale_at": utcnow() - timedelta(minutes=1)}))
    paid = u.sim.pay(u.id, message["message_id"])
    assert paid["pre_checkout"]["ok"] is False and "устарел" in paid["pre_checkout"]["error_message"]
    assert paid["payment"] is None and balance(db, u.id) == 0
    u.press("Другая сумма")
    u.send("10")
    assert "от 50 до 25000" in u.last_text()


def test_referral_flow(clean_stack, db):
    inviter = TgUser(clean_stack.url("telegram"), 8010)
    inviter.send("/start")
    inviter.send("/ref")
    link = f"ref_{referral_code(inviter.id)}"
    assert link in inviter.last_text()

    friend = TgUser(clean_stack.url("telegram"), 8011)
    friend.send(f"/start {link}")
    assert any("Вас пригласили" in text_of(r) for r in friend.bot_messages())
    friend.send(f"/start {link}")  # again: no second bonus
    other = f"ref_{referral_code(8099)}"
    friend.send(f"/start {other}")  # and no re-attribution
    assert balance(db, friend.id) == 2000 and run(db.users.get(friend.id)).referrer_id == inviter.id

    selfish = TgUser(clean_stack.url("telegram"), 8012)
    selfish.send(f"/start ref_{referral_code(selfish.id)}")
    assert run(db.users.get(selfish.id)).referrer_id is None and balance(db, selfish.id) == 0

    top_up(friend, 1000)
    assert balance(db, inviter.id) == 10000, "10% of the friend's 1000 ₽"
    inviter.send("/ref")
    assert "Приглашено: 1" in inviter.last_text() and "Доход: 100 ₽" in inviter.last_text()
    kinds = [e["kind"] for e in run(db.users.ledger_for(inviter.id))]
    assert kinds == ["referral"]
    for uid in (inviter.id, friend.id, selfish.id):
        assert balance(db, uid) == ledger_sum(db, uid)


def test_ledger_sum_equals_balance_after_a_mixed_scenario(clean_stack, db, kie):
    inviter = TgUser(clean_stack.url("telegram"), 8020)
    inviter.send("/start")
    buyer = TgUser(clean_stack.url("telegram"), 8021)
    buyer.send(f"/start ref_{referral_code(inviter.id)}")
    top_up(buyer, 100)
    top_up(buyer, 500)
    kie.post("/sim/outcomes", json={"outcomes": ["success", "fail"]})
    for prompt in ("first", "second"):
        buyer.press_data(cb.make(cb.START, "google/imagen4"))
        buyer.send(prompt)
        buyer.press("Запустить")
    buyer.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=30)
    time.sleep(0.5)
    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send(f"/refund {buyer.sim.payments()[0]['telegram_payment_charge_id']}")
    kinds = sorted(e["kind"] for e in run(db.users.ledger_for(buyer.id)))
    assert kinds == ["bonus", "charge", "charge", "payment_refund", "refund", "topup", "topup"]
    for uid in (inviter.id, buyer.id, ADMIN):
        assert balance(db, uid) == ledger_sum(db, uid)
    assert balance(db, buyer.id) == 2000 + 50000 - 760


def seed(db, uid: int, n: int):
    base = utcnow() - timedelta(hours=1)
    for i in range(n):
        run(db.users.adjust_balance(uid, 100 + i, "adjust", f"seed_{uid}_{i}"))
        job = Job(id=f"h{uid}x{i:03d}", user_id=uid, chat_id=uid, model_id="z-image", inputs={"prompt": f"p{i}"},
                  state=JobState.SUCCEEDED, price_kopecks=76, is_free=i % 2 == 0)
        doc = job.model_dump(exclude={"id"})
        doc["created_at"] = base + timedelta(seconds=i)
        run(db.db.collection(JOBS).document(job.id).set(doc))
    # Ledger entries written in a burst: spread their times so the order is certain.
    for i in range(n):
        run(db.db.collection(LEDGER).document(f"seed_{uid}_{i}").update({"created_at": base + timedelta(seconds=i)}))


def pages(u: TgUser, first_command: str, marker: str) -> list[str]:
    u.send(first_command)
    seen = [u.last_text()]
    while any(t == "▶️" for t, _ in buttons(u.last())):
        u.press("▶️")
        seen.append(u.last_text())
        assert len(seen) < 20
    return seen


def test_history_and_ledger_pages_for_0_1_and_60_entries(clean_stack, db):
    for uid, n in ((8030, 0), (8031, 1), (8032, 60)):
        u = TgUser(clean_stack.url("telegram"), uid)
        u.send("/start")
        seed(db, uid, n)
        history = pages(u, "/history", "Мои генерации")
        ledger_pages = []
        u.send("/balance")
        if n:
            u.press("Все операции")
            ledger_pages = [u.last_text()]
            while any(t == "▶️" for t, _ in buttons(u.last())):
                u.press("▶️")
                ledger_pages.append(u.last_text())
        if n == 0:
            assert "ничего не создавали" in history[0] and "Операций пока нет" in u.last_text()
            continue
        assert len(history) == -(-n // 10) and f"всего {n}" in history[0]
        assert len(ledger_pages) == -(-n // 10) and f"всего {n}" in ledger_pages[0]
        lines = [line for page in history for line in page.splitlines() if "Z-Image" in line]
        assert len(lines) == n and f"«p{n - 1}»" in lines[0] and "«p0»" in lines[-1], "newest first, none lost"
        if n > 10:
            u.press("◀️")
            assert u.last_text() == ledger_pages[-2]


def test_history_item_is_resent_by_file_id_without_a_charge(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8040)
    u.send("/start")
    u.press_data(cb.make(cb.START, "z-image"))
    u.send("кот")
    u.press("✅ 1:1")
    u.press("Запустить")
    u.wait_for(lambda r: "photo" in r["message"], timeout=30)
    time.sleep(0.3)
    u.send("/history")
    u.press("1")
    resent = u.last()
    assert "photo" in resent["message"]
    sent_by_id = [c for c in u.sim.calls("sendPhoto") if not str(c["params"].get("photo", "")).startswith("http")]
    assert sent_by_id and run(db.users.free_usage(u.id)) == {"z-image": 1}, "no second use"


def test_expensive_generation_asks_twice_and_low_balance_hint(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8050)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 22000, "adjust", "t8050"))
    model = "kling-2.6/text-to-video"
    u.press_data(cb.make(cb.START, model))
    u.send("a paper boat on a river")
    job = run(db.drafts.current(u.id))
    u.press_data(cb.make(cb.SET, job.id, 1, 0))  # sound on
    u.press("1:1")
    u.press("10")
    u.press("Запустить")
    assert "Дорогая генерация" in u.last_text() and "209 ₽" in u.last_text()
    assert run(db.jobs.get(job.id)).state == "awaiting_input"
    u.press("Да, запустить")
    assert "Генерация запущена" in u.last_text() and "На балансе осталось <b>" not in u.last_text()
    assert "На балансе осталось 11 ₽" in u.last_text()


def test_commands_are_registered_and_paysupport_answers(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8060, lang="en")
    u.send("/paysupport")
    assert "Payment support" in u.last_text()
    u.send("/terms")
    assert "Terms" in u.last_text()
    commands = u.sim.commands()
    text = str(commands)
    assert "paysupport" in text and "Поддержка по платежам" in text and "Payment support" in text
