"""The conversation around the orders (issue 14, typed input and support): what a user types or sends and
what they see, through the real stack."""
from __future__ import annotations

from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of


def user(stack, user_id, lang="ru") -> TgUser:
    return TgUser(stack.url("telegram"), user_id, lang)


def is_photo(record) -> bool:
    return "photo" in record["message"]


def z_image(u: TgUser, prompt="котик в космосе"):
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    u.send(prompt)
    u.press("16:9")


def test_menu_under_a_photo_result_opens_the_menu(clean_stack, db, kie):
    u = user(clean_stack, 8101)
    z_image(u)
    u.press("Запустить")
    photo = u.wait_for(is_photo)
    u.sim.press(u.id, photo["message_id"], button_text=next(t for t, _ in buttons(photo) if "Меню" in t))
    assert "Что-то пошло не так" not in u.last_text()
    assert "Главное меню" in u.last_text() or "Баланс" in u.last_text()
    assert is_photo(next(r for r in u.bot_messages() if r["message_id"] == photo["message_id"]))


def test_a_command_parks_the_draft_and_cancel_cancels_it(clean_stack, db):
    u = user(clean_stack, 8102)
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    u.send("ок")  # small talk is not a prompt
    assert "слишком коротко" in u.last_text()
    u.send("/balance")
    assert "Незаконченный заказ" in u.last_text() and "Z-Image" in u.last_text()
    u.send("кот в шляпе")  # parked: not the draft's prompt
    assert run(db.drafts.current(u.id)).inputs == {}
    u.press("Продолжить заказ")
    assert "Промпт" in u.last_text()
    u.send("кот в шляпе")
    assert "Соотношение сторон" in u.last_text()
    u.send("16:9 пожалуйста")  # typed at a button step gets an answer and the step again
    assert "кнопкой ниже" in text_of(u.bot_messages()[-2]) and "Соотношение сторон" in u.last_text()
    u.send("/cancel")
    assert "Отменено" in u.last_text() and run(db.drafts.current(u.id)) is None
    u.send("/stop")
    assert "Отменять нечего" in u.last_text()


def test_cancel_word_at_the_prompt_cancels(clean_stack, db):
    u = user(clean_stack, 8103, "en")
    u.send("/start")
    u.press("Free")
    u.press("Z-Image")
    u.press("Create")
    u.send("Cancel")
    assert "Cancelled" in u.last_text() and run(db.drafts.current(u.id)) is None
