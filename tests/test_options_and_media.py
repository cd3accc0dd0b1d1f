"""Per-option prices, media inputs and large results through the local stack."""
from __future__ import annotations

import time

import pytest

from shared.catalog import load_catalog
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of
from tests.test_all_models import kopecks

CATALOG = load_catalog()


def funded_user(stack, db, uid, amount=1_000_000) -> TgUser:
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    if amount:
        run(db.users.adjust_balance(uid, amount, "adjust", f"test_{uid}"))
    return u


def draft(db, u):
    return run(db.drafts.current(u.id))


def test_kling_price_follows_duration_and_sound_and_is_charged_exactly(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 7001)
    model = CATALOG.get("kling-2.6/text-to-video")
    u.press_data(cb.make(cb.MODEL, model.id))
    assert "от 52,25 ₽" in u.last_text()
    u.press_data(cb.make(cb.START, model.id))
    u.send("a red fox running through snow")
    job = draft(db, u)
    u.press_data(cb.make(cb.SET, job.id, model.fields.index(model.field("sound")), 1))  # no sound
    u.press("1:1")
    u.press("✅ 5")
    assert kopecks(u.last_text()) == 5225
    u.press("Длительность")
    u.press("10")
    assert kopecks(u.last_text()) == 10450, "10 s costs twice as much"
    u.press("Звук")
    u.press("Да")
    shown = kopecks(u.last_text())
    assert shown == 20900
    u.press("Запустить")
    u.press("Да, запустить")  # above CONFIRM_ABOVE_RUB: a second tap
    u.wait_for(lambda r: "video" in r["message"], timeout=30)
    entries = run(db.users.ledger_for(u.id))
    charge = [e for e in entries if e["kind"] == "charge"]
    assert [e["amount_kopecks"] for e in charge] == [-shown]
    task = kie.get("/sim/tasks").json()["tasks"][-1]
    assert task["input"]["duration"] == "10" and task["input"]["sound"] is True


def test_bad_media_gets_a_clear_message_and_charges_nothing(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 7002)
    model = CATALOG.get("google/nano-banana-edit")
    u.press_data(cb.make(cb.START, model.id))
    u.send("make it look like a watercolor")
    u.sim.send_file(u.id, "document", file_name="doc.pdf", mime_type="application/pdf", size_bytes=1000)
    assert "нужно фото" in u.last_text()
    u.sim.send_file(u.id, "document", file_name="big.png", mime_type="image/png", size_bytes=25 * 1024 * 1024)
    assert "больше 20 МБ" in u.last_text()
    u.sim.send_file(u.id, "document", file_name="big.png", mime_type="image/png", size_bytes=12 * 1024 * 1024)
    assert "до 10 МБ" in u.last_text()
    u.sim.send_file(u.id, "document", file_name="pic.gif", mime_type="image/gif", size_bytes=1000)
    assert "формат не подходит" in u.last_text()
    u.sim.send_album(u.id, count=10)
    time.sleep(0.5)
    assert len(draft(db, u).inputs["image_urls"]) == 10
    u.sim.send_photo(u.id)
    assert "не больше 10" in u.last_text()
    assert run(db.users.ledger_for(u.id))[0]["kind"] == "adjust" and len(run(db.users.ledger_for(u.id))) == 1
    assert kie.get("/sim/tasks").json()["tasks"] == []


def test_out_of_range_option_is_refused_and_the_wizard_goes_on(clean_stack, db):
    u = funded_user(clean_stack, db, 7003)
    model = CATALOG.get("kling/v2-5-turbo-text-to-video-pro")
    u.press_data(cb.make(cb.START, model.id))
    u.send("a lighthouse at dawn")
    assert "Проверьте заказ" in u.last_text()
    u.press("Следование промпту")
    u.send("5")
    assert "от 0 до 1" in u.last_text()
    u.send("0,8")
    assert "Проверьте заказ" in u.last_text() and "CFG): 0,8" in u.last_text()  # the Russian decimal comma
    assert len(run(db.users.ledger_for(u.id))) == 1


def test_audio_over_the_model_limit_is_refused(clean_stack, db):
    u = funded_user(clean_stack, db, 7004)
    model = CATALOG.get("kling/ai-avatar-standard")
    u.press_data(cb.make(cb.START, model.id))
    u.send("say hello")
    u.sim.send_photo(u.id)
    u.sim.send_file(u.id, "audio", duration=40)
    assert "до 15 сек" in u.last_text()
    u.sim.send_file(u.id, "voice", duration=4)
    confirm = u.last_text()
    assert "Проверьте заказ" in confirm and kopecks(confirm) == 4 * 760  # 8 credits/s = 7,60 ₽/s


def test_long_list_of_voices_is_paged(clean_stack, db):
    u = funded_user(clean_stack, db, 7005)
    model = CATALOG.get("elevenlabs/text-to-speech-turbo-2-5")
    u.press_data(cb.make(cb.START, model.id))
    u.send("Привет! Это проверка озвучки.")
    first = [t for t, _ in buttons(u.last())]
    assert "✅ James — хрипловатый, увлекающий, смелый" in first and "1/6" in first  # 67 voices, by description
    assert not any("Brock" in t for t in first)
    u.press("▶️")
    second = [t for t, _ in buttons(u.last())]
    assert "Brock — громкий командный голос сержанта" in second
    u.press("Brock")
    assert "Проверьте заказ" in u.last_text() and "Brock — громкий командный голос сержанта" in u.last_text()
    assert run(db.drafts.current(u.id)).inputs["voice"] == "DGzg6RaUqxGRTHSBjfgF", "the provider's voice id is kept"


def test_result_over_the_by_url_limit_is_still_delivered(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 7006)
    kie.post("/sim/config", json={"result_size_bytes": 7 * 1024 * 1024})
    u.press_data(cb.make(cb.START, "google/nano-banana"))
    u.send("a huge detailed city map")
    u.press("Запустить")
    photo = u.wait_for(lambda r: "photo" in r["message"], timeout=30)
    call = [c for c in u.sim.calls("sendPhoto") if c["files"]]
    assert call, "a 7 MB photo cannot go by URL: it was uploaded"
    assert "Nano Banana" in text_of(photo)


def test_result_actions_repeat_and_chain_show_their_own_price(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 7007)
    u.press_data(cb.make(cb.START, "google/nano-banana"))
    u.send("a cup of coffee")
    u.press("Запустить")
    result = u.wait_for(lambda r: "photo" in r["message"], timeout=30)
    labels = [t for t, _ in buttons(result)]
    assert {"🔁 Повторить", "✏️ Изменить промпт", "⬆️ Увеличить (Topaz)", "🪄 Убрать фон"} <= set(labels)
    u.press("🔁 Повторить")
    assert "Проверьте заказ" in u.last_text() and "a cup of coffee" in u.last_text()
    u.press("Увеличить")
    u.press("✅ 2")
    confirm = u.last_text()
    assert "Topaz" in confirm and kopecks(confirm) == 950, "512 px × 2 is a 2K output: 10 credits"
    u.press("Запустить")
    u.wait_for(lambda r: "photo" in r["message"] and "Topaz" in text_of(r), timeout=30)
    task = kie.get("/sim/tasks").json()["tasks"][-1]
    assert task["model"] == "topaz/image-upscale" and task["input"]["image_url"].startswith("http")


def test_veo_photo_step_follows_the_mode_and_never_prices_a_draft_the_provider_would_refuse(clean_stack, db, kie):
    """From text: no photo step. Frames: 1-2 photos, no "skip"; "done" with none asks again. References with
    3 photos, then the mode changed to frames on the confirmation screen: the photos are asked again."""
    u = funded_user(clean_stack, db, 7010)
    model = CATALOG.get("veo-3-1/lite")
    u.press_data(cb.make(cb.START, model.id))
    u.send("a red fox in the snow")
    u.press("Только по тексту")
    assert "Проверьте заказ" in u.last_text() and can_run(u) and "Фото" not in u.last_text()

    u.press_data(cb.make(cb.START, model.id))
    u.send("a red fox in the snow")
    u.press("По кадрам")
    step = u.last_text()
    assert "до 2 шт." in step and "Пропустить" not in [label for label, _ in buttons(u.last())]
    u.press("Готово")  # no photo sent
    assert "Нужно хотя бы 1 файл" in u.last_text() and not can_run(u)
    u.sim.send_photo(u.id)
    u.press("Готово")
    assert can_run(u)

    u.press_data(cb.make(cb.START, model.id))
    u.send("a red fox in the snow")
    u.press("По референсам")
    u.sim.send_album(u.id, count=3)
    time.sleep(0.5)
    u.press("Готово")
    assert can_run(u)
    u.press("Режим")
    u.press("По кадрам")
    assert "Можно не больше 2 файлов" in u.last_text() and not can_run(u)
    job = draft(db, u)
    assert "image_urls" not in job.inputs and "image_urls" not in job.media
    assert kie.get("/sim/tasks").json()["tasks"] == [] and len(run(db.users.ledger_for(u.id))) == 1


def test_done_with_no_file_at_a_required_photo_step_says_what_is_missing(clean_stack, db):
    u = funded_user(clean_stack, db, 7011)
    u.press_data(cb.make(cb.START, "google/nano-banana-edit"))
    u.send("a cat in a hat")
    u.press("Готово")  # no photo sent
    assert "Нужно хотя бы 1 файл" in u.last_text(), "a press that changes nothing still gets an answer"
    u.sim.send_photo(u.id)
    u.press("Готово")
    assert can_run(u)


def can_run(u: TgUser) -> bool:
    return any("Запустить" in label for label, _ in buttons(u.last()))
