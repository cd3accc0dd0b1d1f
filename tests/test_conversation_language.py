"""Language, plurals and numbers as a user meets them: the 🌐 switch in the menu (kept over Telegram's
language, by the worker too), counts with the right plural form, numbers written one way per language."""
from __future__ import annotations

from tests.conftest import run
from tests.helpers import TgUser, text_of


def user(stack, user_id, lang="ru") -> TgUser:
    return TgUser(stack.url("telegram"), user_id, lang)


def test_the_language_switch_wins_over_telegram_for_every_later_message(clean_stack, db, kie):
    u = user(clean_stack, 6101, lang="ru")  # Telegram says Russian
    u.send("/start")
    assert "Добро пожаловать" in u.last_text()
    u.press("Язык")
    assert "Выберите язык" in u.last_text()
    u.press("English")
    assert "Main menu" in u.last_text(), "the menu comes back in the chosen language"
    assert run(db.users.get(u.id)).language == "en"

    u.send("/start")  # Telegram still sends language_code=ru: the stored choice wins
    assert "Welcome to AI Studio" in u.last_text()
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    u.press("Free")
    u.press("Z-Image")
    u.press("Create")
    u.send("a cat in space")
    u.press("16:9")
    u.press("Run for free")
    failure = u.wait_for(lambda r: "❌" in text_of(r))  # the worker's message
    assert text_of(failure).startswith("❌ Generation failed"), text_of(failure)

    u.send("/start")
    u.press("Language")
    u.press("Русский")
    assert "Главное меню" in u.last_text()
    u.send("/start")
    assert "Добро пожаловать" in u.last_text()
