"""The conversation around the orders (issue 14, typed input and support): what a user types or sends and
what they see, through the real stack."""
from __future__ import annotations

import time

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


def invoices(u: TgUser) -> list[dict]:
    return [r for r in u.bot_messages() if "invoice" in r["message"]]


def test_two_custom_top_up_amounts_in_a_row(clean_stack, db):
    u = user(clean_stack, 8104)
    u.send("/balance")
    u.press("Пополнить")
    u.send("5")  # typed on the top-up screen: an amount, out of range
    assert "Нужна сумма" in u.last_text()
    u.send("750")  # the second amount is an amount too, not a model search
    assert len(invoices(u)) == 1 and "Ничего не нашлось" not in u.last_text()
    u.press("Другая сумма")
    u.send("1")
    u.send("600")
    assert len(invoices(u)) == 2


def test_a_top_up_for_a_short_order_brings_the_order_back(clean_stack, db, kie):
    u = user(clean_stack, 8105)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 100, "adjust", "adjust_test_8105"))
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("маяк на рассвете")
    assert "не хватает" in u.last_text().lower()
    u.press("Баланс")
    u.press("Пополнить")
    u.press("300 ₽")
    paid = u.sim.pay(u.id, invoices(u)[-1]["message_id"])
    assert paid["pre_checkout"]["ok"] is True
    offer = u.wait_for(lambda r: "Запустить заказ" in str(r["message"].get("reply_markup")))
    assert "Imagen 4" in text_of(offer)
    u.press("Запустить заказ")
    assert "Проверьте заказ" in u.last_text() and "маяк на рассвете" in u.last_text()
    u.press("Запустить")
    assert "Генерация запущена" in u.last_text()


def test_maintenance_leaves_balance_history_and_top_ups_working(clean_stack, db):
    u = user(clean_stack, 8106)
    u.send("/start")
    run(db.system.set_setting("runtime", {"maintenance": True, "disabled_models": []}))
    time.sleep(1.1)  # the runtime switches are cached for a second
    try:
        u.send("/start")
        assert "обновляем AI Studio" in u.last_text()
        u.send("/balance")
        assert "Баланс" in u.last_text() and "обновляем" not in u.last_text()
        u.press("Пополнить")
        u.send("750")
        assert len(invoices(u)) == 1
        u.send("/history")
        assert "обновляем" not in u.last_text()
    finally:
        run(db.system.set_setting("runtime", {"maintenance": False, "disabled_models": []}))
        time.sleep(1.1)  # no test after this one meets the switch cached


ADMIN = 1001


def test_a_support_message_goes_to_the_admins_and_their_answer_comes_back(clean_stack, db):
    a = TgUser(clean_stack.url("telegram"), ADMIN)
    a.send("/start")  # the bot can write only to chats that exist
    u = user(clean_stack, 8107)
    z_image(u)
    u.press("Запустить")
    u.wait_for(is_photo)
    code = next(r for r in run(db.jobs.recent_of(u.id, 3)) if r.get("request_id"))["request_id"]
    u.send("/paysupport")
    assert "Поддержка: @aistudio_support" in u.last_text(), "where to write is said, not only that one may"
    u.press("Написать в поддержку")
    assert "одним сообщением" in u.last_text()
    u.send("Картинка не та, верните деньги")
    assert "передано в поддержку" in u.last_text()
    forwarded = a.wait_for(lambda r: "Картинка не та" in text_of(r))
    assert f"ID {u.id}" in text_of(forwarded) and code in text_of(forwarded)
    a.sim._post(f"/users/{ADMIN}/message", {"text": "Проверили, всё в порядке", "reply_to_message_id":
                                            forwarded["message_id"], "language_code": "ru"})
    assert "Ответ отправлен" in a.last_text()
    answer = u.wait_for(lambda r: "Ответ поддержки" in text_of(r))
    assert "Проверили, всё в порядке" in text_of(answer)
    a.send(f"/reply {u.id} И ещё одно")
    u.wait_for(lambda r: "И ещё одно" in text_of(r))
    u.send("кот")  # no longer writing to support
    assert "передано в поддержку" not in u.last_text()


def test_a_banned_user_can_reach_support_and_nothing_else(clean_stack, db):
    TgUser(clean_stack.url("telegram"), ADMIN).send("/start")
    u = user(clean_stack, 8108)
    u.send("/start")
    run(db.db.collection("users").document(str(u.id)).update({"banned": True}))
    u.send("/start")
    assert "ограничен" in u.last_text()
    u.press("Написать в поддержку")
    u.send("За что бан?")
    assert "передано в поддержку" in u.last_text()
    TgUser(clean_stack.url("telegram"), ADMIN).wait_for(lambda r: "За что бан?" in text_of(r))
    u.send("/paysupport")
    assert "ограничен" not in u.last_text()
    u.send("/balance")
    assert "ограничен" in u.last_text()


def test_a_request_code_shows_the_users_own_job_only(clean_stack, db):
    TgUser(clean_stack.url("telegram"), ADMIN).send("/start")
    u = user(clean_stack, 8109)
    z_image(u)
    u.press("Запустить")
    u.wait_for(is_photo)
    code = next(r for r in run(db.jobs.recent_of(u.id, 3)) if r.get("request_id"))["request_id"]
    u.send(f"что с {code.upper()}?")
    assert code in u.last_text() and "Готово" in u.last_text() and "Z-Image" in u.last_text()
    other = user(clean_stack, 8110)
    other.send("/start")
    other.send(code)
    assert "не найден" in other.last_text() and "Z-Image" not in other.last_text()
    u.press("Отправить в поддержку")
    u.send("не то качество")
    forwarded = TgUser(clean_stack.url("telegram"), ADMIN).wait_for(lambda r: "не то качество" in text_of(r))
    assert code in text_of(forwarded)


def test_free_text_with_no_order_offers_models_and_opens_one_with_the_prompt(clean_stack, db):
    u = user(clean_stack, 8111)
    u.send("/start")
    u.send("привет")  # small talk is no prompt
    assert "Напишите, что создать" in u.last_text() and not buttons(u.last())
    u.send("нарисуй кота в шляпе")
    offer = u.last()
    assert "Создать по этому тексту" in text_of(offer) and "нарисуй кота в шляпе" in text_of(offer)
    labels = [t for t, _ in buttons(offer)]
    assert any("Z-Image" in t for t in labels) and len([t for t in labels if t.startswith("✨")]) >= 3
    u.press("Z-Image")
    assert "Соотношение сторон" in u.last_text()  # the prompt step is already answered
    u.press("16:9")
    assert "Проверьте заказ" in u.last_text() and "нарисуй кота в шляпе" in u.last_text()


def test_cyrillic_search_pages_and_back_returns_to_the_same_page(clean_stack, db):
    u = user(clean_stack, 8112)
    u.send("/start")
    u.send("клинг")
    assert "Найдено" in u.last_text() and any("Kling" in t for t, _ in buttons(u.last()))
    for word, name in (("банана", "Banana"), ("суно", "Suno"), ("вео", "Veo"), ("флакс", "Flux")):
        u.send(word)
        assert any(name.lower() in t.lower() for t, _ in buttons(u.last())), (word, buttons(u.last()))
    u.send("видео")
    first = [t for t, _ in buttons(u.last())]
    u.press("▶️")
    second = [t for t, _ in buttons(u.last())]
    assert "2/" in " ".join(second) and second != first
    model = next(t for t, d in buttons(u.last()) if d.startswith("mf:"))
    u.press(model)
    u.press("Назад")
    assert [t for t, _ in buttons(u.last())] == second


def test_a_photo_with_no_order_offers_what_to_do_and_opens_a_model_with_it(clean_stack, db):
    u = user(clean_stack, 8113)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 100_000, "adjust", "adjust_test_8113"))
    u.sim.send_photo(u.id)
    offer = u.last()
    assert "Что сделать с этим фото" in text_of(offer)
    labels = [t for t, _ in buttons(offer)]
    assert any("фон" in t.lower() for t in labels) and any("Nano Banana" in t or "Seedream" in t for t in labels)
    assert not any("Avatar" in t or "InfiniteTalk" in t for t in labels), "a talking photo needs audio too"
    assert any("Удалить фон · бесплатно" in t for t in labels), f"a free model says so, as everywhere: {labels}"
    u.press("фон")
    draft = run(db.drafts.current(u.id))
    assert draft.model_id == "recraft/remove-background" and draft.inputs.get("image")
    assert "Проверьте заказ" in u.last_text()


def test_an_album_with_no_order_is_answered_once_with_the_models_that_take_several_photos(clean_stack, db):
    u = user(clean_stack, 8117)
    u.send("/start")
    before = len(u.bot_messages())
    u.sim.send_album(u.id, count=4)
    time.sleep(1)
    answers = u.bot_messages()[before:]
    assert len(answers) == 1, [text_of(r) for r in answers]  # not "I did not understand" four times
    assert "Альбом без заказа" in text_of(answers[0])
    labels = [label for label, _ in buttons(answers[0])]
    assert any("Nano Banana — редактор" in label for label in labels), labels
    assert not any("Удалить фон" in label for label in labels), "a model that takes one photo cannot take an album"


def test_a_photo_with_a_caption_at_the_prompt_step_takes_both(clean_stack, db):
    u = user(clean_stack, 8114)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 100_000, "adjust", "adjust_test_8114"))
    u.send("/start")
    u.press("Изображения")
    u.press_data("go:google/nano-banana-edit")
    u.sim.send_photo(u.id, caption="сделай акварелью")
    draft = run(db.drafts.current(u.id))
    assert draft.inputs.get("prompt") == "сделай акварелью" and draft.inputs.get("image_urls"), draft.inputs


def test_a_message_sent_before_the_draft_began_is_not_its_answer(clean_stack, db):
    u = user(clean_stack, 8115)
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    chat = {"id": u.id, "type": "private", "first_name": "Тест"}
    late = {"message_id": 99001, "date": int(time.time()) - 120, "chat": chat, "text": "старый текст",
            "from": {"id": u.id, "is_bot": False, "first_name": "Тест", "language_code": "ru"}}
    u.sim.raw_update({"message": late})
    assert "раньше, чем открыт текущий заказ" in u.last_text()
    assert run(db.drafts.current(u.id)).inputs == {}


def test_a_failure_message_leads_to_support(clean_stack, db, kie):
    TgUser(clean_stack.url("telegram"), ADMIN).send("/start")
    u = user(clean_stack, 8116)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    u.press("Изображения")
    u.press("Imagen 4 ·")
    u.press("Создать")
    u.send("банан")
    u.press("Запустить")
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"))
    u.sim.press(u.id, failure["message_id"], button_text=next(t for t, _ in buttons(failure) if "Поддержка" in t))
    u.send("почему не вышло?")
    assert "передано в поддержку" in u.last_text()
