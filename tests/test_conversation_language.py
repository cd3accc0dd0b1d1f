"""Language, plurals and numbers as a user meets them: the 🌐 switch in the menu (kept over Telegram's
language, by the worker too), counts with the right plural form, numbers written one way per language."""
from __future__ import annotations

import time

from shared.catalog import load_catalog
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of


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


def test_counts_take_the_plural_form_of_their_number(clean_stack, db):
    tools = [m.id for m in load_catalog().models if m.category == "tools" and m.enabled]
    run(db.admin.change_runtime(1001, "test", {"disabled_models": tools[:len(tools) - 3]}))  # 3 tools left
    time.sleep(1.2)  # instances trust their cached switches for SETTINGS_CACHE_SECONDS (1 s locally)
    try:
        u = user(clean_stack, 6102)
        u.send("/start")
        u.press("Инструменты")
        assert "· 3 модели\n" in u.last_text(), u.last_text()
        u.press("Меню")
        u.press("Бесплатно")
        u.press("Z-Image")
        u.press("Создать")
        assert "до 1000 символов" in u.last_text()
        u.send("к" * 1003)
        assert "1003 символа, а можно до 1000" in u.last_text(), u.last_text()

        e = user(clean_stack, 6103, lang="en")
        e.send("/start")
        e.press("Tools")
        assert "· 3 models\n" in e.last_text()
    finally:
        run(db.admin.change_runtime(1001, "test", {"disabled_models": []}))


def test_money_is_written_the_way_of_each_language(clean_stack, db):
    ru, en = user(clean_stack, 6104), user(clean_stack, 6105, lang="en")
    for u in (ru, en):
        u.send("/start")
        run(db.users.adjust_balance(u.id, 1_234_530, "adjust", f"adjust_test_{u.id}"))
    ru.send("/balance")
    assert "12\u00a0345,30 ₽" in ru.last_text(), ru.last_text()
    en.send("/balance")
    assert "₽12,345.30" in en.last_text() and "₽" not in en.last_text().replace("₽12,345.30", ""), en.last_text()


def test_prices_say_what_they_are_for_and_empty_options_say_not_set(clean_stack, db):
    u = user(clean_stack, 6106)
    u.send("/start")
    u.press("Видео")
    assert buttons(u.last())[0][0].startswith("Kling 3.0 ·"), buttons(u.last())  # not Seedance: by usefulness
    assert "«/сек» — цена за секунду длительности" in u.last_text()
    u.press("Меню")
    u.press("Аудио")
    audio = u.last_text()
    assert "«/1000 симв.» — цена за 1000 символов текста" in audio, audio
    u.press("Multilingual v2")
    card = u.last_text()
    assert "за генерацию" not in card and "/1000 симв." in card, card

    u.send("/start")
    u.press("Инструменты")
    u.press("Topaz")
    card = u.last_text()  # 2× by default; 1× is the cheapest: the card says both, and which is which
    assert "за генерацию с параметрами по умолчанию (с другими — от " in card, card

    run(db.users.adjust_balance(u.id, 10000, "adjust", f"adjust_test_{u.id}"))
    u.send("/start")
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан")
    options = [text for text, _ in buttons(u.last())]
    assert any("Чего избегать" in b and "не задано" in b for b in options), options
    assert not any("по умолчанию" in b for b in options), options


def test_an_album_counter_shows_every_file_of_the_album(clean_stack, db):
    u = user(clean_stack, 6107)
    u.send("/start")
    u.press("Бесплатно")
    u.press("Nano Banana — редактор")
    u.press("Создать")
    u.send("сделай акварелью")
    u.sim.send_album(u.id, count=5)
    time.sleep(2.5)  # the album's parts arrive as concurrent updates
    counters = [text_of(r) for r in u.bot_messages() if "Получено файлов" in text_of(r)]
    assert counters and counters[-1].startswith("📎 Получено файлов: 5 из 10"), counters
    assert len(counters) == 1, counters  # one counter for one album (edited), not one per photo
