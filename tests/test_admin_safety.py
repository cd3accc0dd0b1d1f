"""Admin safety as an admin meets it: ban, maintenance and a model off ask for a reason and a confirmation,
the reason goes into the action log, an old confirmation button acts once and never on a changed target;
a broadcast keeps the admin's formatting."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from infra.stack import ADMIN_IDS
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

ADMIN = int(ADMIN_IDS.split(",")[0])


def admin(stack) -> TgUser:
    a = TgUser(stack.url("telegram"), ADMIN)
    a.send("/admin")
    return a


def banned(db, uid) -> bool:
    return run(db.users.get(uid)).banned


def test_a_ban_needs_a_reason_and_a_confirmation_and_the_log_keeps_the_reason(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8301)
    u.send("/start")
    a = admin(clean_stack)
    a.press_data(f"adm:u:{u.id}")
    a.press("Забанить")
    assert "Забанить пользователя" in a.last_text() and "причину" in a.last_text()
    assert "Без причины" not in str(buttons(a.last())), "a ban must say why"
    assert not banned(db, u.id), "the button alone bans nobody"
    a.send("спам рассылками")
    confirm = a.last()
    assert "Причина: спам рассылками" in text_of(confirm) and "Подтвердить" in str(buttons(confirm))
    assert not banned(db, u.id), "nor does the reason"
    a.press("Подтвердить")
    assert banned(db, u.id)
    a.press_data("adm:log")
    assert "ban" in a.last_text() and "причина: спам рассылками" in a.last_text()


def test_an_old_ban_confirmation_pressed_twice_acts_once(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8302)
    u.send("/start")
    a = admin(clean_stack)
    a.press_data(f"adm:ban:{u.id}")
    a.send("мошенничество")
    confirm = a.last()
    data = next(d for label, d in buttons(confirm) if "Подтвердить" in label)
    with ThreadPoolExecutor(2) as pool:  # a double tap: two updates at once
        list(pool.map(lambda _: a.sim.press(a.id, confirm["message_id"], data=data), range(2)))
    assert banned(db, u.id)
    assert len([r for r in run(db.admin.recent_actions()) if r["action"] == "ban"]) == 1
    a.press_data(f"adm:unban:{u.id}")  # unbanned meanwhile, with a reason of its own
    a.send("ошибся")
    a.press("Подтвердить")
    assert not banned(db, u.id)
    a.sim.press(a.id, confirm["message_id"], data=data)  # the old ban button again
    old = next(r for r in a.bot_messages() if r["message_id"] == confirm["message_id"])
    assert "ничего не сделано" in text_of(old)
    assert not banned(db, u.id), "the old button did not ban again"
    bans = [r for r in run(db.admin.recent_actions()) if r["action"] == "ban"]
    assert len(bans) == 1 and bans[0]["reason"] == "мошенничество"


def test_maintenance_and_a_model_off_ask_first(clean_stack, db):
    a = admin(clean_stack)
    a.press("Обслуживание: выключен")
    assert "Включить режим обслуживания" in a.last_text()
    assert run(db.admin.runtime())["maintenance"] is False
    a.send("переезд базы")
    a.press("Подтвердить")
    assert run(db.admin.runtime())["maintenance"] is True
    a.press("Обслуживание: включён")
    a.press("Без причины")
    a.press("Подтвердить")
    assert run(db.admin.runtime())["maintenance"] is False
    a.press("Модели")
    a.press("Выключить: Seedance")
    assert "Выключить модель Seedance" in a.last_text()
    a.press("Отмена")
    assert run(db.admin.runtime())["disabled_models"] == []
    log = [(r["action"], r.get("reason")) for r in run(db.admin.recent_actions())]
    assert ("maintenance", "переезд базы") in log and ("maintenance", "") in log


def send_to_everyone(a: TgUser, reason: str = "анонс") -> None:
    """The preview's send button, then the reason and the confirmation every broadcast asks for."""
    a.press("Отправить")
    assert "Разослать текст из предпросмотра" in a.last_text()
    a.send(reason)
    assert f"Причина: {reason}" in a.last_text()
    a.press("Подтвердить")


def test_a_broadcast_with_bold_text_arrives_bold(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8303)
    u.send("/start")
    a = admin(clean_stack)
    a.press("Рассылка")
    assert "(HTML)" not in a.last_text()
    a.sim.send_text(a.id, "Новинка! Видео в 4K", entities=[{"type": "bold", "offset": 0, "length": 8}],
                    language_code="ru")
    preview = a.last()
    assert "Новинка!" in text_of(preview) and "<b>" not in text_of(preview)
    assert {"type": "bold"} .items() <= next(e for e in preview["message"]["entities"]
                                             if e["type"] == "bold").items()
    send_to_everyone(a, "новая модель")
    got = u.wait_for(lambda r: "Новинка!" in text_of(r), timeout=30)
    assert text_of(got) == "Новинка! Видео в 4K", "no tags shown as text"
    bold = [e for e in got["message"].get("entities", []) if e["type"] == "bold"]
    assert bold == [{"type": "bold", "offset": 0, "length": 8}]


def test_a_broadcast_typed_as_html_arrives_formatted_not_as_tags(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8304)
    u.send("/start")
    a = admin(clean_stack)
    a.press("Рассылка")
    a.send("<b>Новинка!</b> Скидка 10% & подарок")
    send_to_everyone(a)
    got = u.wait_for(lambda r: "Новинка!" in text_of(r), timeout=30)
    assert text_of(got) == "Новинка! Скидка 10% & подарок"
    assert [e["type"] for e in got["message"].get("entities", [])] == ["bold"]
    time.sleep(0.2)


def test_a_broadcast_goes_once_and_an_old_preview_never_sends_a_newer_text(clean_stack, db):
    u = TgUser(clean_stack.url("telegram"), 8305)
    u.send("/start")
    a = admin(clean_stack)
    a.press("Рассылка")
    a.send("Первый вариант")
    first = a.last()
    a.press("Рассылка")
    a.send("Второй вариант")
    second = a.last()
    send = next(d for label, d in buttons(first) if "Отправить" in label)
    a.sim.press(a.id, first["message_id"], data=send)  # the older preview's button
    assert "ничего не отправлено" in text_of(a.bot_messages()[-2])
    send = next(d for label, d in buttons(second) if "Отправить" in label)
    a.sim.press(a.id, second["message_id"], data=send)
    assert "Второй вариант" not in text_of(u.bot_messages()[-1]), "the send button only asks for a reason"
    a.send("распродажа")
    confirmation = a.last()
    do = next(d for label, d in buttons(confirmation) if "Подтвердить" in label)
    with ThreadPoolExecutor(2) as pool:  # a double tap on the confirmation
        list(pool.map(lambda _: a.sim.press(a.id, confirmation["message_id"], data=do), range(2)))
    u.wait_for(lambda r: "Второй вариант" in text_of(r), timeout=30)
    time.sleep(2)
    assert [text_of(r) for r in u.bot_messages() if "вариант" in text_of(r)] == ["Второй вариант"]
    sent = [r for r in run(db.admin.recent_actions()) if r["action"] == "broadcast"]
    assert [r["reason"] for r in sent] == ["распродажа"], "sent once, with its reason in the action log"


def test_a_confirmation_whose_target_changed_meanwhile_does_nothing(clean_stack, db):
    a = admin(clean_stack)
    a.press("Обслуживание: выключен")
    a.send("обновление")
    assert "Подтвердите" in a.last_text()
    run(db.admin.change_runtime(ADMIN + 1, "maintenance", {"maintenance": True}, reason="другой админ"))
    a.press("Подтвердить")
    assert "Уже сделано" in a.last_text() and "Ничего не изменено" in a.last_text()
    log = [(r["admin_id"], r.get("reason")) for r in run(db.admin.recent_actions()) if r["action"] == "maintenance"]
    assert log == [(ADMIN + 1, "другой админ")], "one switch, by the one who was first"
