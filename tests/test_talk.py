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
