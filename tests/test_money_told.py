"""Money is never silent: every balance change a user did not make themselves reaches them as a short message
with the amount and the reason, once: an admin's credit or debit, an admin's refund of a Stars payment, a
referral share and its reversal."""
from __future__ import annotations

import time

from infra.stack import ADMIN_IDS
from shared.domain.money import referral_code
from tests.conftest import run
from tests.helpers import TgUser, text_of

ADMIN = int(ADMIN_IDS.split(",")[0])


def said(u: TgUser, part: str) -> list[str]:
    return [text_of(r) for r in u.bot_messages() if part in text_of(r)]


def top_up(u: TgUser, rub: int = 300) -> dict:
    u.send("/balance")
    u.press("Пополнить")
    u.press(f"{rub} ₽")
    invoice = next(r for r in reversed(u.bot_messages()) if "invoice" in r["message"])
    paid = u.sim.pay(u.id, invoice["message_id"])
    assert paid["pre_checkout"]["ok"] is True, paid
    return paid


def test_an_admin_credit_and_debit_reach_the_user_with_the_reason(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8201)
    u.send("/start")
    a = TgUser(clean_stack.url("telegram"), ADMIN)
    a.send("/admin")
    a.press("Пользователь")
    a.send(str(u.id))
    a.press("Начислить")
    a.send("+150 компенсация за сбой")
    told = u.wait_for(lambda r: "Администратор" in text_of(r), timeout=10)
    assert "начислил вам +150 ₽: компенсация за сбой" in text_of(told) and "Баланс: 150 ₽" in text_of(told)
    a.press_data(f"adm:adj:{u.id}")
    a.send("-50 ошибочное начисление")
    told = u.wait_for(lambda r: "списал" in text_of(r), timeout=10)
    assert "списал с баланса 50 ₽: ошибочное начисление" in text_of(told) and "Баланс: 100 ₽" in text_of(told)
    a.press_data(f"adm:adj:{u.id}")
    a.send("-500 слишком много")  # refused: nothing moved, nothing said
    time.sleep(0.5)
    assert len(said(u, "Администратор")) == 2
    reasons = [r.get("reason") for r in run(db.admin.recent_actions()) if r["action"] == "adjust_balance"]
    assert sorted(reasons) == ["компенсация за сбой", "ошибочное начисление"], "the log keeps the reason too"


def test_referral_income_its_reversal_and_the_stars_refund_are_told(clean_stack, db):
    inviter = TgUser(clean_stack.url("telegram"), 8202)
    inviter.send("/start")
    buyer = TgUser(clean_stack.url("telegram"), 8203)
    buyer.send(f"/start ref_{referral_code(inviter.id)}")
    paid = top_up(buyer, 300)
    income = inviter.wait_for(lambda r: "ваш друг пополнил баланс" in text_of(r), timeout=10)
    share = run(db.users.get(inviter.id)).referral_income_kopecks
    assert share > 0 and f"+{share // 100} ₽" in text_of(income).replace("\u00a0", " ")

    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send(f"/refund {paid['payment']['charge_id']}")
    assert "Возврат выполнен" in admin.last_text()
    back = buyer.wait_for(lambda r: text_of(r).startswith("↩️ Возвращено"), timeout=10)
    assert "210 ⭐" in text_of(back) and "списано 300 ₽" in text_of(back)
    inviter.wait_for(lambda r: "платёж приглашённого друга возвращён" in text_of(r), timeout=10)
    time.sleep(1.0)  # Telegram's refunded_payment update lands too: nothing is said twice
    assert len(said(buyer, "↩️ Возвращено")) == 1
    assert len(said(inviter, "ваш друг пополнил")) == 1 and len(said(inviter, "друга возвращён")) == 1
