import pytest

from shared.catalog import load_catalog
from shared.domain.jobs import Job
from shared.domain.quote import Quote, parse_digest
from shared.ui import callbacks as cb
from shared.domain.screen import Screen
from shared.domain import validation
from shared.ui import catalog, wizard
from shared.domain.quote import Offer

CATALOG = load_catalog()


def all_data(screen):
    return [data for row in screen.buttons for _, data in row]


def test_callback_grammar_round_trip_and_64_byte_limit():
    data = cb.make(cb.MODEL, "elevenlabs/text-to-speech-multilingual-v2")
    assert cb.parse(data) == cb.Callback(cb.MODEL, ("elevenlabs/text-to-speech-multilingual-v2",))
    assert cb.parse(cb.make(cb.SET, "0123456789abcdef", 12, 3)) == cb.Callback(cb.SET, ("0123456789abcdef", "12", "3"))
    with pytest.raises(ValueError):
        cb.make(cb.MODEL, "x" * 70)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_screen_of_every_model_fits_telegram_limits(lang):
    offers = {m.id: Offer(price=12345, free_left=None, limit=5) for m in CATALOG.models}
    for category in ("image", "video", "audio", "tools"):
        models = [m for m in CATALOG.models if m.category == category]
        for page in range(3):
            screen = catalog.catalog_page(lang, category, models, offers, page)
            assert all(len(d.encode()) <= 64 for d in all_data(screen))
    for model in CATALOG.models:
        card = catalog.model_card(lang, model, offers[model.id])
        assert len(card.text) <= 4096
        job = Job(id="0123456789abcdef", user_id=1, chat_id=1, model_id=model.id)
        for i, field in enumerate(model.asked):
            step = wizard.wizard_step(lang, job, model, field, i + 1, len(model.asked))
            assert all(len(d.encode()) <= 64 for d in all_data(step))
        confirm = wizard.confirm_screen(lang, job, model, offers[model.id], balance=100000)
        assert len(confirm.text) <= 4096 and all(len(d.encode()) <= 64 for d in all_data(confirm))


def test_catalog_pagination():
    images = [m for m in CATALOG.models if m.category == "image"]
    offers = {m.id: Offer(price=100, free_left=None, limit=5) for m in images}
    first = catalog.catalog_page("ru", "image", images, offers, 0)
    assert len([d for d in all_data(first) if d.startswith("mf:image:0:")]) == catalog.PAGE_SIZE  # Back: this page
    assert cb.make(cb.CATALOG, "image", 1) in all_data(first)
    last = catalog.catalog_page("ru", "image", images, offers, 99)  # clamps
    pages = -(-len(images) // catalog.PAGE_SIZE)
    assert cb.make(cb.CATALOG, "image", pages - 2) in all_data(last)


def test_model_card_shows_price_or_free_quota():
    z = CATALOG.get("z-image")
    assert "Бесплатно, осталось 4 из 5 сегодня" in catalog.model_card("ru", z, Offer(76, 4, 5)).text
    assert "0,76 ₽" in catalog.model_card("ru", z, Offer(76, None, 5)).text
    assert "Free, 2 of 5 left today" in catalog.model_card("en", z, Offer(76, 2, 5)).text


def test_confirmation_shows_exact_price_and_balance_after():
    z = CATALOG.get("z-image")
    job = Job(id="j", user_id=1, chat_id=1, model_id="z-image", inputs={"prompt": "кот <b>", "aspect_ratio": "16:9"})
    screen = wizard.confirm_screen("ru", job, z, Offer(76, None, 5), balance=1000)
    assert "0,76 ₽" in screen.text and "9,24 ₽" in screen.text
    assert "кот &lt;b&gt;" in screen.text  # user text is escaped
    assert cb.make(cb.CONFIRM, "j", "76p0") in all_data(screen)  # the quote it shows: 76 kopecks, paid, revision 0
    short = wizard.confirm_screen("ru", job, z, Offer(76, None, 5), balance=10)
    assert not any(d.startswith("ok:") for d in all_data(short)) and "не хватает" in short.text


def test_the_run_button_names_the_quote_it_shows():
    z = CATALOG.get("z-image")
    job = Job(id="j", user_id=1, chat_id=1, model_id="z-image", inputs={"prompt": "кот"}, revision=7)
    assert cb.make(cb.CONFIRM, "j", "76f7") in all_data(wizard.confirm_screen("ru", job, z, Offer(76, 3, 5), 0))
    edited = job.model_copy(update={"revision": 8})
    assert cb.make(cb.CONFIRM, "j", "76p8") in all_data(wizard.confirm_screen("ru", edited, z, Offer(76, 0, 5), 100))
    longest = cb.make(cb.RUN_EXPENSIVE, "f" * 16, Quote(999_999_999, False, 999_999_999).digest)
    assert cb.well_formed(longest) and len(longest) <= cb.MAX_BYTES
    for forged in ("ok:j", "ok:j:76", "ok:j:76x1", "ok:j:p7", "ok:j:76p", "okx:j", "ok:j:76p7:1", "ok:j:-5p1"):
        assert not cb.well_formed(forged), forged


def test_quote_digest_round_trips_and_a_changed_quote_says_what_changed():
    assert parse_digest(Quote(5506, False, 12).digest) == Quote(5506, False, 12)
    assert parse_digest("7f0") == Quote(7, True, 0) and parse_digest("7x0") is None
    screen = Screen("<b>Проверьте заказ</b>", [[("✅ Запустить · 55,06 ₽", "ok:j:5506p3")]])
    changed = wizard.quote_changed("ru", screen, Quote(7, False, 2), Quote(5506, False, 3))
    assert "цена теперь <b>55,06 ₽</b> (была 0,07 ₽)" in changed.text and changed.text.endswith(screen.text)
    assert changed.buttons == screen.buttons
    same_price = wizard.quote_changed("en", screen, Quote(7, False, 2), Quote(7, False, 3))
    assert "The order changed" in same_price.text and "price" not in same_price.text.split("\n")[0]
    to_paid = wizard.quote_changed("en", screen, Quote(7, True, 2), Quote(7, False, 2))
    assert "now <b>₽0.07</b> (was free)" in to_paid.text


def test_number_presets_cover_the_range():
    cfg = CATALOG.get("kling/v2-5-turbo-text-to-video-pro").field("cfg_scale")
    assert validation.number_presets(cfg) == [0, 0.25, 0.5, 0.75, 1]


def test_search_matches_names_and_categories():
    found = {m.id for m in catalog.search_models(CATALOG.models, "kling")}
    assert "kling-2.6/text-to-video" in found and "z-image" not in found
    assert {m.id for m in catalog.search_models(CATALOG.models, "видео sora")} >= {"sora-2-text-to-video"}


def test_a_voice_is_shown_by_its_description_never_its_id():
    model = CATALOG.get("elevenlabs/text-to-speech-turbo-2-5")
    voice = model.field("voice")
    job = Job(id="0123456789abcdef", user_id=1, chat_id=1, model_id=model.id)
    step = wizard.wizard_step("ru", job, model, voice, 2, 2)
    first_page = [text for row in step.buttons for text, _ in row]
    assert "✅ James — хрипловатый, увлекающий, смелый" in first_page
    assert not any("EkK5I93UQWFDigLMpZcX" in text for text in first_page)
    assert all(len(row) == 1 for row in step.buttons[:12]), "a described value takes the whole row"
    card = catalog.model_card("en", model, Offer(285, None, 5))
    assert "James — Husky, Engaging and Bold" in card.text and "EkK5I93UQWFDigLMpZcX" not in card.text
    confirm = wizard.confirm_screen("ru", job, model, Offer(285, None, 5), balance=100000)
    assert "James — хрипловатый" in confirm.text
