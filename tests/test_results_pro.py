"""Results like a pro tool, as a user meets them: a cut-out arrives as the original PNG file after a preview,
the caption carries the prompt, and a failure offers 🔁 (back to the confirmation, same inputs and price) and
✏️ (back to the wizard)."""
from __future__ import annotations

import io

import httpx
from PIL import Image

from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of


def funded_user(stack, db, uid, amount=100_000, lang="ru") -> TgUser:
    u = TgUser(stack.url("telegram"), uid, lang)
    u.send("/start")
    if amount:
        run(db.users.adjust_balance(uid, amount, "adjust", f"test_{uid}"))
    return u


def test_remove_background_arrives_as_the_original_png_after_a_preview(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 8101)
    u.press_data(cb.make(cb.START, "recraft/remove-background"))
    u.sim.send_photo(u.id, width=640, height=480)
    assert "Проверьте заказ" in u.last_text()
    u.press("Запустить")
    document = u.wait_for(lambda r: "document" in r["message"], timeout=40)
    photos = [r for r in u.bot_messages() if "photo" in r["message"]]
    assert len(photos) == 1 and photos[0]["message_id"] < document["message_id"], "a preview first"
    assert "Удалить фон" in text_of(photos[0]) and "RQ-" in text_of(photos[0])
    sent, _ = u.sim.file_bytes(document["message"]["document"]["file_id"])
    urls = next(j["result_urls"] for j in run(db.jobs.recent_of(u.id, 5)) if j.get("result_urls"))
    produced = httpx.get(urls[0], timeout=10).content
    assert sent == produced and sent.startswith(b"\x89PNG"), "the provider's bytes, not a recompressed photo"
    cut = Image.open(io.BytesIO(sent))
    assert cut.mode == "RGBA" and cut.getpixel((0, 0))[3] == 0, "the transparency is kept"
    assert document["message"]["document"]["file_name"].endswith(".png")
    assert any("Повторить" in text for text, _ in buttons(document)), "the buttons sit under the file"


def test_the_caption_carries_the_prompt_shortened_and_escaped(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 8102, amount=0)
    prompt = "кот <b>в шляпе</b> & очках " + "очень длинный промпт " * 30
    u.press_data(cb.make(cb.START, "z-image"))
    u.send(prompt)
    u.press("1:1")
    u.press("Запустить")
    photo = u.wait_for(lambda r: "photo" in r["message"], timeout=40)
    caption = text_of(photo)
    assert "Z-Image" in caption and "RQ-" in caption
    assert "кот <b>в шляпе</b> & очках очень длинный" in caption, "the prompt, its tags shown as typed"
    assert len(caption) < 400 and caption.endswith("…"), "shortened"


def test_a_failure_offers_retry_through_the_confirmation_and_change_through_the_wizard(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 8103, amount=1000)
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send("банан в очках")
    u.press("Запустить")
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Генерация не удалась"), timeout=40)
    labels = [text for text, _ in buttons(failure)]
    assert labels == ["🔁 Повторить", "✏️ Изменить", "📩 Поддержка"]
    assert run(db.users.get(u.id)).balance_kopecks == 1000

    u.sim.press(u.id, failure["message_id"], button_text="🔁 Повторить")
    confirm = u.last_text()
    assert "Проверьте заказ" in confirm and "банан в очках" in confirm and "7,60 ₽" in confirm
    kinds = [e["kind"] for e in run(db.users.ledger_for(u.id))]
    assert sorted(kinds) == ["adjust", "charge", "refund"], "nothing charged before the confirmation"

    u.sim.press(u.id, failure["message_id"], button_text="✏️ Изменить")
    assert "Промпт" in u.last_text(), "the wizard asks for the prompt again"
    u.send("апельсин в очках")
    confirm = u.last_text()
    assert "Проверьте заказ" in confirm and "апельсин в очках" in confirm


def test_english_failure_buttons(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 8104, amount=1000, lang="en")
    kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send("a banana")
    u.press("Run")
    failure = u.wait_for(lambda r: text_of(r).startswith("❌ Generation failed"), timeout=40)
    assert [text for text, _ in buttons(failure)] == ["🔁 Retry", "✏️ Change", "📩 Support"]




def test_a_job_that_could_not_start_leaves_no_started_line_nor_low_balance_hint(clean_stack, db, kie):
    u = funded_user(clean_stack, db, 8105, amount=1000)  # 10 ₽: after 7,60 ₽ a low-balance hint shows
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send("банан")
    clean_stack.kill_function("worker")  # the start task waits for Cloud Tasks' next attempt...
    u.press("Запустить")
    status = u.last()
    assert "Генерация запущена" in text_of(status) and "На балансе осталось" in text_of(status)
    run(db.users.adjust_balance(u.id, -1000, "adjust", f"spent_{u.id}"))  # ...while the money goes elsewhere
    clean_stack.start_function("worker")
    job_id = run(db.jobs.recent_of(u.id, 1))[0]["id"]  # the confirmed order, its start task delivered again:
    assert httpx.post(clean_stack.url("worker") + "/", json={"kind": "start", "job_id": job_id},
                      timeout=60).status_code == 200
    u.wait_for(lambda r: "Недостаточно средств" in text_of(r), timeout=20)
    line = next(r for r in u.bot_messages() if r["message_id"] == status["message_id"])
    assert "Генерация запущена" not in text_of(line) and "На балансе осталось" not in text_of(line), text_of(line)
