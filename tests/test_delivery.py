"""Result delivery: the pure decision table, then real sends through PTB to the Telegram simulator
with result files served by the KIE simulator."""
import io
import json

import httpx
import time

import pytest
from PIL import Image

from infra.kie_sim import KieSimulator
from infra.telegram_sim import TelegramSimulator
from shared import runtime
from shared.clients.telegram import make_bot
from shared.clients import delivery, files
from shared.clients.files import Probe
from shared.clients.ladder import MB, Limits, Route, group_plan, plan
from shared.domain import decode
from shared.ui.results import delivery_words

TOKEN = "123456:ABC"
USER = 1001
CAPTION = "✅ <b>Z-Image</b> · бесплатно\nКод запроса: <code>rq-1</code>"
MARKUP = [[("🔁 Повторить", "again:1")]]
IMAGE = ("z-image", {"prompt": "a red fox in the snow", "aspect_ratio": "1:1"})
SIX_IMAGES = ("grok-imagine/text-to-image", {"prompt": "six foxes"})
VIDEO = ("sora-2-text-to-video", {"prompt": "a fox runs"})
AUDIO = ("elevenlabs/sound-effect-v2", {"text": "rain on a roof"})


# --- the decision table (pure) ---------------------------------------------------------------------

@pytest.mark.parametrize("output, size, ctype, route", [
    ("image", None, "", Route.URL),  # unknown: try by URL, fall back on refusal
    ("image", 300_000, "image/png", Route.URL),
    ("image", 5 * MB, "image/jpeg", Route.URL),
    ("image", 5 * MB + 1, "image/jpeg", Route.UPLOAD),
    ("image", 6 * MB, "image/png", Route.UPLOAD),  # the original PNG bytes, never re-encoded
    ("image", 10 * MB, "image/png", Route.UPLOAD),
    ("image", 10 * MB + 1, "image/png", Route.PREVIEW),
    ("image", 80 * MB, "image/png", Route.PREVIEW),  # preview impossible past 50 MB: link only
    ("image", 2 * MB, "image/gif", Route.DOCUMENT),
    ("image", None, "image/tiff", Route.DOCUMENT),
    ("image", 60 * MB, "image/tiff", Route.LINK),
    ("image", 1 * MB, "application/octet-stream", Route.URL),
    ("video", None, "", Route.URL),
    ("video", 20 * MB, "video/mp4", Route.URL),
    ("video", 20 * MB + 1, "video/mp4", Route.UPLOAD),
    ("video", 50 * MB, "video/mp4", Route.UPLOAD),
    ("video", 50 * MB + 1, "video/mp4", Route.LINK),
    ("audio", 3 * MB, "audio/mpeg", Route.URL),
    ("audio", 30 * MB, "audio/mpeg", Route.UPLOAD),
    ("audio", 70 * MB, "audio/mpeg", Route.LINK),
])
def test_plan_follows_telegram_limits(output, size, ctype, route):
    assert plan(output, size, ctype) is route


def test_plan_with_lowered_limits():
    small = Limits(photo_by_url=100, photo_upload=200, file_by_url=300, file_upload=400)
    assert [plan("image", s, "image/png", small) for s in (100, 150, 250)] == [Route.URL, Route.UPLOAD, Route.PREVIEW]
    assert [plan("video", s, "", small) for s in (300, 350, 450)] == [Route.URL, Route.UPLOAD, Route.LINK]


def test_plan_as_file_sends_every_photo_type_image_as_its_original_after_a_preview():
    assert {plan("image", s, "image/png", as_file=True) for s in (None, 100, 6 * MB, 12 * MB)} == {Route.PREVIEW}
    assert plan("image", 1000, "image/gif", as_file=True) is Route.DOCUMENT
    assert plan("video", 1000, "video/mp4", as_file=True) is Route.URL  # images only


def test_group_plan():
    u, up, pv, ln = Route.URL, Route.UPLOAD, Route.PREVIEW, Route.LINK
    assert group_plan([u] * 6) == ([[0, 1, 2, 3, 4, 5]], [])
    assert group_plan([u, pv, up, ln]) == ([[0, 2]], [1, 3])
    assert group_plan([u, pv]) == ([], [0, 1])  # an album needs two items
    chunks, alone = group_plan([u] * 11)  # 10 + 1 would leave a group of one
    assert [len(c) for c in chunks] == [9, 2] and sorted(sum(chunks, [])) == list(range(11)) and alone == []
    assert [len(c) for c in group_plan([u] * 23)[0]] == [10, 10, 3]


def test_preview_is_a_small_jpeg_on_white():
    buf = io.BytesIO()
    Image.new("RGBA", (3000, 1500), (255, 0, 0, 0)).save(buf, "PNG")
    preview = decode.make_preview(buf.getvalue(), 1280)
    with Image.open(io.BytesIO(preview)) as image:
        assert image.format == "JPEG" and image.size == (1280, 640)
        assert image.getpixel((5, 5)) == (255, 255, 255)  # transparency becomes white, not black
    assert decode.make_preview(b"not an image") is None


def test_filename_from_url_and_type():
    assert delivery._filename(Probe("http://h/files/t/0.png"), "photo") == "0.png"
    assert delivery._filename(Probe("http://h/get?id=1", 5, "video/mp4"), "video") == "get.mp4"
    assert delivery._filename(Probe("http://h/"), "audio") == "result.mp3"
    png = b"\x89PNG\r\n\x1a\n" + bytes(20)
    assert delivery._filename(Probe("http://h/files/t/0.jpg"), "document", png) == "0.png", "the bytes say PNG"
    assert delivery._filename(Probe("http://h/a/b"), "document", b"RIFF1234WEBPVP8 ") == "b.webp"
    assert delivery._filename(Probe("http://h/x.jpeg"), "document", b"\xff\xd8\xff\xe0") == "x.jpeg"


# --- real sends --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kie():
    simulator = KieSimulator(port=0, latency_ms=600_000).start()  # tasks finish only on complete()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def tg():
    simulator = TelegramSimulator(port=0, token=TOKEN).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def bot(tg):
    return make_bot(TOKEN, tg.base_url)


@pytest.fixture(autouse=True)
def fresh(kie, tg):
    kie.reset()
    tg.reset(everything=True)
    tg.state.ensure_user(USER, first_name="Тест", language_code="ru")


def results(kie, model_and_input, size=0):
    """Result URLs of a finished KIE task whose files are about `size` bytes."""
    model, payload = model_and_input
    kie.configure(result_size_bytes=size)
    with kie.client(timeout=10) as client:
        task_id = client.post("/api/v1/jobs/createTask", json={"model": model, "input": payload}).json()["data"]["taskId"]
    return json.loads(kie.complete(task_id)["resultJson"])["resultUrls"]


def send(bot, output, urls, markup=MARKUP, lang="ru", **options):
    words = delivery.Words(**delivery_words(lang))
    return runtime.run(delivery.send_result(bot, USER, output, urls, CAPTION, markup, words=words, **options),
                       timeout=60)


def sends(tg):
    """(method, uploaded file size or None) of every message-sending call, in order."""
    out = []
    for call in tg.calls():
        if call["method"] in ("getMe", "sendChatAction"):
            continue
        sizes = [f["size"] for f in call["files"].values()]
        out.append((call["method"], sum(sizes) if sizes else None))
    return out


def actions(tg):
    return [c["params"]["action"] for c in tg.calls("sendChatAction")]


def bot_messages(tg):
    return [r["message"] for r in tg.messages(USER) if r["from_bot"]]


def test_small_image_goes_by_url_with_caption_and_buttons(kie, tg, bot):
    [url] = results(kie, IMAGE)
    ids = send(bot, "image", [url])
    [call] = tg.calls("sendPhoto")
    assert call["params"]["photo"] == url and not call["files"]
    assert call["params"]["caption"] == CAPTION and call["params"]["parse_mode"] == "HTML"
    assert json.loads(call["params"]["reply_markup"])["inline_keyboard"][0][0]["callback_data"] == "again:1"
    [message] = bot_messages(tg)
    assert ids == [message["message_id"]] and message["caption"].startswith("✅ Z-Image")
    assert message["reply_markup"]["inline_keyboard"][0][0]["text"] == "🔁 Повторить"
    assert sends(tg) == [("sendPhoto", None)] and actions(tg) == []


def test_six_megabyte_png_is_uploaded_as_a_photo(kie, tg, bot):
    [url] = results(kie, IMAGE, size=6 * MB)
    ids = send(bot, "image", [url])
    [call] = tg.calls("sendPhoto")  # straight to upload: over 5 MB Telegram would refuse the URL
    upload = call["files"]["photo"]
    assert upload["file_name"] == "0.png" and 6 * MB <= upload["size"] < 6 * MB + 100_000
    assert call["status"] == 200 and call["params"]["caption"] == CAPTION and "reply_markup" in call["params"]
    assert actions(tg) == ["upload_photo"] and tg.calls()[0]["method"] == "sendChatAction"
    assert len(ids) == 1


def test_twelve_megabyte_image_becomes_a_preview_and_the_original_document(kie, tg, bot):
    [url] = results(kie, IMAGE, size=12 * MB)
    ids = send(bot, "image", [url])
    (photo, photo_size), (document, document_size) = sends(tg)
    assert (photo, document) == ("sendPhoto", "sendDocument")
    assert photo_size < 1 * MB and document_size >= 12 * MB
    preview, original = tg.calls("sendPhoto")[0], tg.calls("sendDocument")[0]
    assert preview["params"]["caption"] == CAPTION and "reply_markup" not in preview["params"]
    assert original["files"]["document"]["file_name"] == "0.png"
    assert original["params"]["caption"] == "📎 Оригинал в полном качестве" and "reply_markup" in original["params"]
    messages = bot_messages(tg)
    assert ids == [m["message_id"] for m in messages]
    assert max(p["width"] for p in messages[0]["photo"]) <= 1280
    assert messages[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "again:1"
    assert actions(tg) == ["upload_photo", "upload_document"]


def test_six_images_go_as_an_album_then_the_buttons(kie, tg, bot):
    urls = results(kie, SIX_IMAGES)
    assert len(urls) == 6
    ids = send(bot, "image", urls)
    [album] = tg.calls("sendMediaGroup")
    media = json.loads(album["params"]["media"])
    assert [m["media"] for m in media] == urls and [m["type"] for m in media] == ["photo"] * 6
    assert media[0]["caption"] == CAPTION and all("caption" not in m for m in media[1:])
    [follow_up] = tg.calls("sendMessage")
    assert follow_up["params"]["text"] == "Что дальше?" and "again:1" in follow_up["params"]["reply_markup"]
    assert len(ids) == 7 and ids == [m["message_id"] for m in bot_messages(tg)]


def test_album_uploads_when_urls_are_over_the_limit_and_english_texts(kie, tg, bot):
    urls = results(kie, SIX_IMAGES)
    ids = send(bot, "image", urls, lang="en", limits=Limits(photo_by_url=1000))  # all "too big" by URL
    [album] = tg.calls("sendMediaGroup")
    media = json.loads(album["params"]["media"])
    assert all(m["media"].startswith("attach://") for m in media) and len(album["files"]) == 6
    assert tg.calls("sendMessage")[0]["params"]["text"] == "What next?"
    assert actions(tg) == ["upload_photo"] and len(ids) == 7


def test_album_item_over_the_limit_is_sent_on_its_own(kie, tg, bot):
    small = results(kie, SIX_IMAGES)[:3]
    [big] = results(kie, IMAGE, size=12 * MB)
    ids = send(bot, "image", [small[0], big, *small[1:]])
    assert [m for m, _ in sends(tg)] == ["sendMediaGroup", "sendPhoto", "sendDocument", "sendMessage"]
    media = json.loads(tg.calls("sendMediaGroup")[0]["params"]["media"])
    assert [m["media"] for m in media] == small and media[0]["caption"] == CAPTION
    assert "caption" not in tg.calls("sendPhoto")[0]["params"]  # the caption went with the album
    assert tg.calls("sendMessage")[0]["params"]["text"] == "Что дальше?" and len(ids) == 6


def test_image_over_fifty_megabytes_is_a_link_only(kie, tg, bot):
    [url] = results(kie, IMAGE, size=60 * MB)
    ids = send(bot, "image", [url])
    assert sends(tg) == [("sendMessage", None)] and actions(tg) == []
    text = tg.calls("sendMessage")[0]["params"]["text"]
    assert text.startswith(CAPTION) and "больше, чем Telegram разрешает" in text and len(ids) == 1


def test_small_video_and_audio_go_by_url(kie, tg, bot):
    [video] = results(kie, VIDEO)
    [audio] = results(kie, AUDIO)
    assert len(send(bot, "video", [video])) == 1
    assert len(send(bot, "audio", [audio], markup=None)) == 1
    [video_call], [audio_call] = tg.calls("sendVideo"), tg.calls("sendAudio")
    assert video_call["params"]["video"] == video and video_call["params"]["caption"] == CAPTION
    assert "reply_markup" in video_call["params"] and audio_call["params"]["audio"] == audio
    assert sends(tg) == [("sendVideo", None), ("sendAudio", None)]


def test_video_over_twenty_megabytes_is_uploaded(kie, tg, bot):
    [url] = results(kie, VIDEO, size=25 * MB)
    ids = send(bot, "video", [url])
    [call] = tg.calls("sendVideo")
    assert call["status"] == 200 and call["files"]["video"]["size"] >= 25 * MB
    assert call["files"]["video"]["file_name"].endswith(".mp4") and "reply_markup" in call["params"]
    assert actions(tg) == ["upload_video"] and len(ids) == 1


def test_video_over_fifty_megabytes_becomes_a_link_with_its_expiry(kie, tg, bot):
    [url] = results(kie, VIDEO, size=60 * MB)
    ids = send(bot, "video", [url])
    assert sends(tg) == [("sendMessage", None)]  # nothing downloaded, nothing uploaded
    [call] = tg.calls("sendMessage")
    text = call["params"]["text"]
    assert text.startswith(CAPTION) and f'href="{url}"' in text and "(60 МБ)" in text
    assert "Ссылка действует 24 часа." in text and "again:1" in call["params"]["reply_markup"]
    [message] = bot_messages(tg)
    assert ids == [message["message_id"]]


def test_refused_url_falls_back_to_an_upload(kie, tg, bot):
    [url] = results(kie, IMAGE)
    tg.configure(fail_methods={"sendPhoto": {"error_code": 400, "count": 1,
                                             "description": "Bad Request: failed to get HTTP URL content"}})
    ids = send(bot, "image", [url])
    first, second = tg.calls("sendPhoto")
    assert first["status"] == 400 and first["params"]["photo"] == url
    assert second["status"] == 200 and second["files"]["photo"]["file_name"] == "0.png"
    assert len(ids) == 1


def test_photo_refused_twice_becomes_a_preview_and_a_document(kie, tg, bot):
    [url] = results(kie, IMAGE)
    tg.configure(fail_methods={"sendPhoto": {"error_code": 400, "count": 2,
                                             "description": "Bad Request: PHOTO_INVALID_DIMENSIONS"}})
    ids = send(bot, "image", [url])
    assert [c["status"] for c in tg.calls("sendPhoto")] == [400, 400, 200]
    assert tg.calls("sendDocument")[0]["status"] == 200 and len(ids) == 2


def test_missing_file_ends_in_a_link_message_and_nothing_raises(kie, tg, bot):
    url = f"{kie.base_url}/files/nothing/0.png"
    ids = send(bot, "image", [url])
    assert [c["status"] for c in tg.calls("sendPhoto")] == [400]
    [call] = tg.calls("sendMessage")
    assert "Не удалось отправить файл" in call["params"]["text"] and len(ids) == 1


def test_retry_after_is_honoured(kie, tg, bot):
    [url] = results(kie, IMAGE)
    tg.configure(fail_methods={"sendPhoto": {"error_code": 429, "retry_after": 1, "count": 1}})
    ids = send(bot, "image", [url])
    assert [c["status"] for c in tg.calls("sendPhoto")] == [429, 200] and len(ids) == 1


def test_a_long_flood_wait_ends_the_attempt_instead_of_sleeping(kie, tg, bot):
    """The sweep re-sends it later (tests/test_operations.py); a worker must not sleep for 30 s."""
    [url] = results(kie, IMAGE)
    tg.configure(fail_methods={"sendPhoto": {"error_code": 429, "retry_after": 30, "count": 1}})
    started = time.monotonic()
    assert send(bot, "image", [url]) == []
    assert time.monotonic() - started < 5 and [c["status"] for c in tg.calls("sendPhoto")] == [429]


def test_blocked_user_returns_nothing_without_raising(kie, tg, bot):
    [url] = results(kie, IMAGE)
    tg.state.set_blocked(USER, True)
    assert send(bot, "image", [url]) == []
    assert len(tg.calls("sendPhoto")) == 1  # no fallbacks into a closed chat


def test_probe_falls_back_to_get_when_head_has_no_length(kie):
    [url] = results(kie, IMAGE, size=2 * MB)

    def handler(request):
        if request.method == "HEAD":
            return httpx.Response(405)
        return httpx.Response(200, content=b"x" * 1234, headers={"content-type": "image/png"})

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as mock, httpx.AsyncClient() as real:
            return await files.probe(mock, "http://h/a.png"), await files.probe(real, url)

    mocked, real = runtime.run(main())
    assert mocked == Probe("http://h/a.png", 1234, "image/png")
    assert real.content_type == "image/png" and 2 * MB <= real.size < 2 * MB + 100_000
