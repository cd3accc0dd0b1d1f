"""The Telegram simulator, driven by the real python-telegram-bot library and over plain HTTP."""
import asyncio
import io
import json
import threading
import time

import httpx
import pytest
from flask import Flask, Response, request
from PIL import Image
from telegram import (Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto,
                      LabeledPrice, Update)
from telegram.error import BadRequest, InvalidToken, RetryAfter
from werkzeug.serving import make_server

from infra import chat
from infra.telegram_sim import SimClient, TelegramSimulator
from infra.telegram_sim.client import SimError
from infra.telegram_sim.htmltext import HtmlError, parse_html
from infra.telegram_sim.media import make_png

TOKEN = "123456:ABC"
SECRET = "test-secret_1"
USER = 1001


class Receiver:
    """A webhook endpoint and a small file host, like the bot and the Internet around it."""

    def __init__(self):
        self.updates = []  # (headers, json)
        self.status = 200
        self.on_update = None  # a bot's handler: on_update(update_json) -> optional reply method (dict)
        self.png = make_png(320, 200)
        app = Flask("receiver")
        app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])
        app.add_url_rule("/files/<name>", "files", self.files)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hook(self):
        self.updates.append((dict(request.headers), request.get_json()))
        reply = self.on_update(request.get_json()) if self.on_update else None
        if reply:  # Telegram runs a method returned in the webhook response
            return Response(json.dumps(reply), status=self.status, mimetype="application/json")
        return Response("ok", status=self.status)

    def files(self, name):
        if name == "pic.png":
            return Response(self.png, mimetype="image/png")
        if name == "big.png":
            return Response(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024 + 10), mimetype="image/png")
        return Response("missing", status=404)


@pytest.fixture(scope="module")
def sim():
    simulator = TelegramSimulator(port=0, token=TOKEN).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def client(sim, receiver):
    sim.reset(everything=True)
    receiver.updates.clear()
    receiver.status = 200
    receiver.on_update = None
    httpx.post(f"{sim.api_url}/setWebhook", json={"url": f"{receiver.url}/hook", "secret_token": SECRET})
    sim_client = SimClient(sim.base_url)
    yield sim_client
    sim_client.close()


def with_bot(sim, action, token=TOKEN):
    """Run `await action(bot)` with a real PTB Bot pointed at the simulator."""
    async def main():
        async with Bot(token, base_url=f"{sim.base_url}/bot", base_file_url=f"{sim.base_url}/file/bot") as bot:
            return await action(bot)
    return asyncio.run(main())


def last_update(receiver, bot=None):
    return Update.de_json(receiver.updates[-1][1], bot)


KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Изображения", callback_data="menu:img"),
                                  InlineKeyboardButton("Видео", callback_data="menu:video")],
                                 [InlineKeyboardButton("Site", url="https://example.com")]])


# --- PTB against the simulator -----------------------------------------------------------

def test_ptb_send_edit_commands_and_actions(sim, client):
    client.send_text(USER, "/start", language_code="ru")

    async def action(bot):
        me = await bot.get_me()
        sent = await bot.send_message(USER, "<b>Привет</b>, выберите: &lt;раздел&gt;", parse_mode="HTML",
                                      reply_markup=KEYBOARD)
        edited = await bot.edit_message_text("<i>Готово</i>", chat_id=USER, message_id=sent.message_id,
                                             parse_mode="HTML", reply_markup=KEYBOARD)
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("<i>Готово</i>", chat_id=USER, message_id=sent.message_id,
                                        parse_mode="HTML", reply_markup=KEYBOARD)
        bare = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
        assert await bot.send_chat_action(USER, "typing")
        await bot.set_my_commands([("start", "Начать"), ("help", "Помощь")], language_code="ru")
        commands = await bot.get_my_commands(language_code="ru")
        return me, sent, edited, bare, commands

    me, sent, edited, bare, commands = with_bot(sim, action)
    assert me.is_bot and me.id == 123456
    assert sent.text == "Привет, выберите: <раздел>"
    assert sent.entities[0].type == "bold" and (sent.entities[0].offset, sent.entities[0].length) == (0, 6)
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "menu:video"
    assert sent.from_user.id == me.id and sent.chat.id == USER and sent.message_id == 2
    assert edited.text == "Готово" and edited.edit_date is not None
    assert bare.reply_markup is None
    assert [c.command for c in commands] == ["start", "help"]

    record = client.messages(USER)["messages"][-1]
    assert record["edited"] and record["html"] == "<i>Готово</i>"  # the HTML source, for renderers
    assert record["message"]["text"] == "Готово" and "reply_markup" not in record["message"]
    # PTB posts form fields; nested objects are JSON strings in them.
    call = client.calls("sendMessage")[0]
    assert call["params"]["chat_id"] == str(USER) and call["params"]["reply_markup"].startswith("{")


def test_webhook_delivery_callback_and_answer(sim, client, receiver):
    result = client.send_text(USER, "/start ref_42", first_name="Иван", language_code="ru")
    assert result["webhook_status"] == 200 and result["update_id"] == 1 and result["elapsed_ms"] >= 0
    headers, payload = receiver.updates[-1]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    update = Update.de_json(payload, None)
    assert update.message.text == "/start ref_42"
    assert update.message.from_user.language_code == "ru" and update.message.from_user.first_name == "Иван"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 6

    async def send(bot):
        return await bot.send_message(USER, "Меню", reply_markup=KEYBOARD)

    menu = with_bot(sim, send)
    pressed = client.press(USER, menu.message_id, index=2)
    query = last_update(receiver).callback_query
    assert query.data == "menu:video" and query.message.message_id == menu.message_id
    assert query.id == pressed["callback_query_id"] and query.from_user.id == USER
    client.press(USER, menu.message_id, button_text="Изображения")
    assert last_update(receiver).callback_query.data == "menu:img"
    with pytest.raises(SimError, match="not a callback button"):
        client.press(USER, menu.message_id, index=3)

    async def answer(bot):
        await bot.answer_callback_query(query.id, text="Выбрано", show_alert=True)
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await bot.answer_callback_query(query.id)
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await bot.answer_callback_query("12345")

    with_bot(sim, answer)
    answers = {a["callback_query_id"]: a for a in client.callback_answers()}
    assert answers[query.id]["answered"] and answers[query.id]["answer"]["text"] == "Выбрано"
    assert answers[query.id]["answer"]["show_alert"] is True  # PTB sent "true"; stored as Telegram reads it
    assert len([a for a in answers.values() if a["answered"]]) == 1


def test_failed_update_is_delivered_again_when_redelivery_is_on(sim, client, receiver):
    receiver.status = 500
    client.send_text(USER, "once")
    assert len(receiver.updates) == 1  # off by default: one try
    client.configure(redelivery_delays_s=[0.05, 0.05, 0.05])

    first = client.send_text(USER, "again")
    deadline = time.monotonic() + 10
    while len(client.deliveries()) < 5 and time.monotonic() < deadline:  # 1 + the first try + 3 more
        time.sleep(0.05)
    time.sleep(0.2)  # no fifth try comes
    receiver.status = 200
    later = client.send_text(USER, "taken")

    assert first["webhook_status"] == 500 and later["webhook_status"] == 200
    tries = [u for _, u in receiver.updates if u["message"]["text"] == "again"]
    assert len(tries) == 4 and {u["update_id"] for u in tries} == {first["update_id"]}
    attempts = [d["attempt"] for d in client.deliveries() if d["update_id"] == first["update_id"]]
    assert attempts == [1, 2, 3, 4]
    assert [u["message"]["text"] for _, u in receiver.updates].count("taken") == 1
    assert client.webhook()["pending_redeliveries"] == 0
    with pytest.raises(SimError, match="redelivery_delays_s"):
        client.configure(redelivery_delays_s="soon")


def test_send_photo_by_url_and_bytes_and_download(sim, client, receiver):
    client.send_text(USER, "hi")

    async def action(bot):
        by_url = await bot.send_photo(USER, f"{receiver.url}/files/pic.png", caption="<b>URL</b>",
                                      parse_mode="HTML")
        by_bytes = await bot.send_photo(USER, make_png(1600, 900), caption="bytes", reply_markup=KEYBOARD)
        again = await bot.send_photo(USER, by_bytes.photo[-1].file_id)
        file = await bot.get_file(by_bytes.photo[-1].file_id)
        buf = io.BytesIO()
        await file.download_to_memory(buf)
        with pytest.raises(BadRequest, match="(?i)failed to get http url content"):
            await bot.send_photo(USER, f"{receiver.url}/files/big.png")
        with pytest.raises(BadRequest, match="(?i)failed to get http url content"):
            await bot.send_photo(USER, f"{receiver.url}/files/nothing.png")
        with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
            await bot.send_photo(USER, "not-a-file-id")
        with pytest.raises(BadRequest, match="(?i)wrong type of the web page content"):
            await bot.send_document(USER, f"{receiver.url}/files/pic.png")
        doc = await bot.send_document(USER, b"%PDF-1.4 test", filename="report.pdf")
        album = await bot.send_media_group(USER, [InputMediaPhoto(make_png(50, 50)),
                                                  InputMediaPhoto(f"{receiver.url}/files/pic.png", caption="2")])
        with pytest.raises(BadRequest, match="(?i)2-10 items"):
            await bot.send_media_group(USER, [InputMediaPhoto(make_png(50, 50))])
        return by_url, by_bytes, again, buf.getvalue(), doc, album

    by_url, by_bytes, again, data, doc, album = with_bot(sim, action)
    assert by_url.caption == "URL" and by_url.caption_entities[0].type == "bold"
    assert (by_url.photo[-1].width, by_url.photo[-1].height) == (320, 200)
    assert [p.width for p in by_bytes.photo] == [90, 320, 800, 1280, 1600]
    assert by_bytes.reply_markup.inline_keyboard[0][0].text == "Изображения"
    assert again.photo == by_bytes.photo  # a photo file_id re-sent keeps its sizes
    assert Image.open(io.BytesIO(data)).size == (1600, 900)
    assert doc.document.file_name == "report.pdf" and doc.document.mime_type == "application/pdf"
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id and album[1].caption == "2"
    calls = client.calls("sendPhoto")
    assert [c["status"] for c in calls] == [200, 200, 200, 400, 400, 400]
    assert calls[1]["files"]["photo"]["mime_type"] == "application/octet-stream"  # PTB's name for raw bytes


def test_user_media_get_file_and_album(sim, client, receiver):
    client.send_photo(USER, width=640, height=480, caption="мой кот", language_code="ru")
    client.send_file(USER, "document", file_name="big.zip", mime_type="application/zip",
                     size_bytes=25 * 1024 * 1024)
    client.send_file(USER, "voice", duration=4)
    album = client.send_album(USER, count=3, caption="трое")

    photo_update = Update.de_json(receiver.updates[0][1], None)
    doc_update = Update.de_json(receiver.updates[1][1], None)
    voice_update = Update.de_json(receiver.updates[2][1], None)
    album_updates = [Update.de_json(u[1], None) for u in receiver.updates[3:]]
    assert photo_update.message.caption == "мой кот"
    assert (photo_update.message.photo[-1].width, photo_update.message.photo[-1].height) == (640, 480)
    assert doc_update.message.document.file_size == 25 * 1024 * 1024
    voice_bytes, _ = client.file_bytes(voice_update.message.voice.file_id)  # a real OGG/Opus file
    assert voice_bytes.startswith(b"OggS")
    assert receiver.updates[2][1]["message"]["voice"] == {
        "file_id": voice_update.message.voice.file_id, "file_unique_id": voice_update.message.voice.file_unique_id,
        "duration": 4, "mime_type": "audio/ogg", "file_size": len(voice_bytes)}
    assert {u.message.media_group_id for u in album_updates} == {album["media_group_id"]}
    assert [u.message.caption for u in album_updates] == ["трое", None, None]

    async def action(bot):
        file = await bot.get_file(photo_update.message.photo[-1].file_id)
        data = await file.download_as_bytearray()
        with pytest.raises(BadRequest, match="(?i)file is too big"):
            await bot.get_file(doc_update.message.document.file_id)
        return file, bytes(data)

    file, data = with_bot(sim, action)
    assert file.file_path.startswith(f"{sim.base_url}/file/bot{TOKEN}/photos/")
    assert Image.open(io.BytesIO(data)).size == (640, 480)


# --- errors -------------------------------------------------------------------------------

def test_wrong_token_and_unknown_method(sim, client):
    response = httpx.post(f"{sim.base_url}/bot999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    response = httpx.post(f"{sim.api_url}/noSuchMethod")
    assert response.status_code == 404 and response.json()["description"] == "Not Found"
    with pytest.raises(InvalidToken):
        with_bot(sim, lambda bot: bot.get_me(), token="999:WRONG")


def test_validation_errors(sim, client):
    client.send_text(USER, "hi")

    async def action(bot):
        errors = {}
        cases = {
            "button": lambda: bot.send_message(USER, "x", reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("b", callback_data="x" * 65)]])),
            "long": lambda: bot.send_message(USER, "я" * 4097),
            "empty": lambda: bot.send_message(USER, "<b> </b>", parse_mode="HTML"),
            "unclosed": lambda: bot.send_message(USER, "<b>bold", parse_mode="HTML"),
            "tag": lambda: bot.send_message(USER, "<div>x</div>", parse_mode="HTML"),
            "edit": lambda: bot.edit_message_text("x", chat_id=USER, message_id=999),
            "chat": lambda: bot.send_message(424242, "x"),
            "caption": lambda: bot.send_photo(USER, make_png(10, 10), caption="c" * 1025),
            "delete": lambda: bot.delete_message(USER, 999),
        }
        for name, call in cases.items():
            with pytest.raises(BadRequest) as info:
                await call()
            errors[name] = info.value.message.lower()
        return errors

    errors = with_bot(sim, action)
    assert errors["button"] == "button_data_invalid"
    assert errors["long"] == "message is too long"
    assert errors["empty"] == "message text is empty"
    assert errors["unclosed"].startswith("can't parse entities: can't find end tag")
    assert errors["tag"] == 'can\'t parse entities: unsupported start tag "div" at byte offset 0'
    assert errors["edit"] == "message to edit not found"
    assert errors["chat"] == "chat not found"
    assert errors["caption"] == "message caption is too long"
    assert errors["delete"] == "message to delete not found"
    # Multipart uploads: photos up to 10 MB, like Telegram; beyond that 413.
    big = httpx.post(f"{sim.api_url}/sendPhoto", data={"chat_id": USER},
                     files={"photo": ("big.png", b"\x00" * (10 * 1024 * 1024 + 1), "image/png")})
    assert big.status_code == 413 and big.json()["description"] == "Request Entity Too Large"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_fail_methods_and_flood_limit(sim, client):
    client.send_text(USER, "hi")
    client.configure(fail_methods={"sendMessage": {"error_code": 429, "retry_after": 3, "count": 1}})

    async def retry(bot):
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(USER, "first")
        return info.value, await bot.send_message(USER, "second")

    error, ok = with_bot(sim, retry)
    assert "retry in 3 seconds" in str(error).lower()  # PTB read parameters.retry_after
    assert ok.text == "second"

    client.configure(latency_ms=150)
    started = time.monotonic()
    httpx.post(f"{sim.api_url}/getMe")
    assert time.monotonic() - started >= 0.15
    client.configure(latency_ms=0, flood_limit_per_chat=1, flood_burst=2)
    statuses = [httpx.post(f"{sim.api_url}/sendMessage", data={"chat_id": USER, "text": str(i)}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 429, 429]
    body = httpx.post(f"{sim.api_url}/sendMessage", data={"chat_id": USER, "text": "x"}).json()
    assert body["parameters"]["retry_after"] >= 1


def test_random_rate_limit_answers_429_and_counts(sim, client):
    client.send_text(USER, "hi")
    client.configure(rate_limit_rate=1.0, rate_limit_retry_after=2)
    body = httpx.post(f"{sim.api_url}/sendMessage", data={"chat_id": USER, "text": "x"}).json()
    assert body["error_code"] == 429 and body["parameters"]["retry_after"] == 2
    assert httpx.post(f"{sim.api_url}/getMe").json()["ok"] is True  # setup calls are exempt
    client.configure(rate_limit_rate=0.0)
    assert httpx.post(f"{sim.api_url}/sendMessage", data={"chat_id": USER, "text": "y"}).json()["ok"] is True
    assert client.injected() == {"429": 1}


# --- Telegram Stars payments ----------------------------------------------------------------

PAY_BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton("Оплатить 100 ⭐", pay=True)]])


def send_stars_invoice(sim, amount=100, payload="topup:100"):
    async def action(bot):
        return await bot.send_invoice(USER, f"{amount} ⭐ на баланс", "Пополнение баланса AI Studio", payload,
                                      "XTR", [LabeledPrice(f"{amount} звёзд", amount)], reply_markup=PAY_BUTTON)
    return with_bot(sim, action)


def test_stars_payment_refund_and_transactions(sim, client, receiver):
    client.send_text(USER, "/buy", language_code="ru")
    invoice_message = send_stars_invoice(sim)
    invoice = invoice_message.invoice
    assert (invoice.title, invoice.currency, invoice.total_amount, invoice.start_parameter) == (
        "100 ⭐ на баланс", "XTR", 100, "")
    assert invoice_message.reply_markup.inline_keyboard[0][0].pay is True
    stored = client.messages(USER)["messages"][-1]
    assert "payload" not in json.dumps(stored["message"]) and stored["invoice_private"]["payload"] == "topup:100"

    def bot(update_json):  # the bot answers inside the webhook request, as PTB handlers do
        update = Update.de_json(update_json, None)
        if update.pre_checkout_query:
            assert update.pre_checkout_query.invoice_payload == "topup:100"
            with_bot(sim, lambda b: b.answer_pre_checkout_query(update.pre_checkout_query.id, ok=True))

    receiver.on_update = bot
    result = client.pay(USER, invoice_message.message_id)
    checkout, payment = result["pre_checkout"], result["payment"]
    assert checkout["answered"] and checkout["ok"] and checkout["error_message"] is None
    assert checkout["webhook_status"] == 200 and not checkout["timed_out"]
    assert payment["charge_id"].startswith("stx") and payment["webhook_status"] == 200
    query = Update.de_json(receiver.updates[-2][1], None).pre_checkout_query
    assert (query.id, query.from_user.id, query.currency, query.total_amount) == (
        checkout["pre_checkout_query_id"], USER, "XTR", 100)
    paid = Update.de_json(receiver.updates[-1][1], None).message
    assert paid.from_user.id == USER and paid.chat.id == USER and paid.message_id == payment["message_id"]
    sp = paid.successful_payment
    assert (sp.currency, sp.total_amount, sp.invoice_payload, sp.provider_payment_charge_id) == (
        "XTR", 100, "topup:100", "")
    assert sp.telegram_payment_charge_id == payment["charge_id"]
    with pytest.raises(SimError) as info:  # a private-chat invoice is paid once
        client.pay(USER, invoice_message.message_id)
    assert info.value.status == 409

    second = client.pay(USER, send_stars_invoice(sim, 50, "topup:50").message_id, skip_precheckout=True)
    assert second["pre_checkout"] is None and second["payment"]["charge_id"] != payment["charge_id"]
    started = time.monotonic()
    held = client.pay(USER, send_stars_invoice(sim, 10).message_id, pause_after_precheckout_s=0.5)
    assert held["pre_checkout"]["ok"] and held["payment"] and time.monotonic() - started >= 0.5

    async def refund(bot):
        with pytest.raises(BadRequest, match="(?i)query_id_invalid"):  # already answered
            await bot.answer_pre_checkout_query(query.id, ok=True)
        assert await bot.refund_star_payment(USER, payment["charge_id"]) is True
        errors = []
        for user_id, charge_id in ((USER, payment["charge_id"]), (USER + 1, second["payment"]["charge_id"]),
                                   (USER, "stxNOPE")):
            with pytest.raises(BadRequest) as error:
                await bot.refund_star_payment(user_id, charge_id)
            errors.append(error.value.message.upper())  # PTB capitalizes
        return errors, await bot.get_star_transactions(), await bot.get_my_star_balance()

    errors, transactions, balance = with_bot(sim, refund)
    assert errors == ["CHARGE_ALREADY_REFUNDED", "CHARGE_NOT_FOUND", "CHARGE_NOT_FOUND"]
    payments = {p["telegram_payment_charge_id"]: p for p in client.payments()}
    assert payments[payment["charge_id"]]["refunded"] and not payments[second["payment"]["charge_id"]]["refunded"]
    assert payments[payment["charge_id"]]["invoice_payload"] == "topup:100"
    assert [(t.amount, t.source is not None) for t in transactions.transactions] == [
        (100, True), (50, True), (10, True), (100, False)]
    assert transactions.transactions[0].source.invoice_payload == "topup:100"
    assert balance.amount == 60


def test_stars_payment_declined_or_unanswered(sim, client, receiver):
    client.send_text(USER, "/buy")
    declined = send_stars_invoice(sim)
    receiver.on_update = lambda update: {  # an answer in the webhook response body counts too
        "method": "answerPreCheckoutQuery", "pre_checkout_query_id": update["pre_checkout_query"]["id"],
        "ok": False, "error_message": "Товар закончился"} if "pre_checkout_query" in update else None
    result = client.pay(USER, declined.message_id)
    assert result["payment"] is None
    assert result["pre_checkout"]["answered"] and result["pre_checkout"]["ok"] is False
    assert result["pre_checkout"]["error_message"] == "Товар закончился"
    assert "pre_checkout_query" in receiver.updates[-1][1] and client.payments() == []

    client.configure(pre_checkout_timeout_s=0.3)
    receiver.on_update = None  # the bot ignores the query
    started = time.monotonic()
    result = client.pay(USER, declined.message_id)
    assert 0.25 < time.monotonic() - started < 3
    assert result["payment"] is None and result["pre_checkout"]["timed_out"]
    assert result["pre_checkout"]["answered"] is False and result["pre_checkout"]["ok"] is False
    late = httpx.post(f"{sim.api_url}/answerPreCheckoutQuery",
                      data={"pre_checkout_query_id": result["pre_checkout"]["pre_checkout_query_id"], "ok": "true"})
    assert late.status_code == 400 and late.json()["description"] == "Bad Request: QUERY_ID_INVALID"
    empty = httpx.post(f"{sim.api_url}/answerPreCheckoutQuery", json={"pre_checkout_query_id": "1", "ok": False})
    assert empty.status_code == 400  # ok=false needs an error_message
    assert client.payments() == [] and len(client.pre_checkout_queries()) == 2


def test_invalid_invoices_links_and_scoped_commands(sim, client):
    client.send_text(USER, "hi")
    base = {"chat_id": USER, "title": "100 ⭐", "description": "Пополнение", "payload": "topup:100",
            "currency": "XTR", "prices": [{"label": "100", "amount": 100}]}
    cases = {
        "two prices": {"prices": [{"label": "a", "amount": 50}, {"label": "b", "amount": 50}]},
        "stars with provider": {"provider_token": "284685063:TEST:abc"},
        "fiat without provider": {"currency": "USD"},
        "zero": {"prices": [{"label": "0", "amount": 0}]},
        "payload": {"payload": "x" * 129},
        "no payload": {"payload": ""},
        "title": {"title": "t" * 33},
        "description": {"description": "d" * 256},
        "markup": {"reply_markup": {"inline_keyboard": [[{"text": "Pay", "callback_data": "pay"}]]}},
    }
    errors = {name: httpx.post(f"{sim.api_url}/sendInvoice", json={**base, **change}).json()["description"]
              for name, change in cases.items()}
    assert errors == {
        "two prices": "Bad Request: STARS_INVOICE_INVALID",
        "stars with provider": "Bad Request: PAYMENT_PROVIDER_INVALID",
        "fiat without provider": "Bad Request: PAYMENT_PROVIDER_INVALID",
        "zero": "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID",
        "payload": "Bad Request: INVOICE_PAYLOAD_INVALID",
        "no payload": "Bad Request: INVOICE_PAYLOAD_INVALID",
        "title": "Bad Request: INVOICE_TITLE_TOO_LONG",
        "description": "Bad Request: INVOICE_DESCRIPTION_TOO_LONG",
        "markup": "Bad Request: REPLY_MARKUP_BUY_EMPTY",
    }
    assert [m["from_bot"] for m in client.messages(USER)["messages"]] == [False]  # nothing was sent

    async def action(bot):
        with pytest.raises(BadRequest, match="(?i)stars_invoice_invalid"):
            await bot.send_invoice(USER, "t", "d", "p", "XTR", [LabeledPrice("a", 1), LabeledPrice("b", 1)])
        link = await bot.create_invoice_link("Подписка", "30 дней", "sub:1", "XTR", [LabeledPrice("m", 250)],
                                             subscription_period=2592000)
        await bot.set_my_commands([("start", "Start")])
        await bot.set_my_commands([("start", "Начать"), ("balance", "Баланс")], language_code="ru")
        await bot.set_my_commands([("admin", "Админка")], scope=BotCommandScopeChat(USER))
        return link, [[c.command for c in await bot.get_my_commands(**kwargs)] for kwargs in (
            {}, {"language_code": "ru"}, {"language_code": "de"}, {"scope": BotCommandScopeChat(USER)})]

    link, commands = with_bot(sim, action)
    assert commands == [["start"], ["start", "balance"], [], ["admin"]]
    assert len(client.commands()) == 3
    assert link.startswith("https://t.me/$")
    paid = client.pay(USER, link=link, skip_precheckout=True)["payment"]
    payment = client.payments()[0]
    assert payment["telegram_payment_charge_id"] == paid["charge_id"] and payment["invoice_link"] == link
    message = client.messages(USER)["messages"][-1]["message"]["successful_payment"]
    assert message["is_recurring"] and message["subscription_expiration_date"] > time.time()


# --- control API --------------------------------------------------------------------------

def test_no_webhook_raw_updates_and_secret_override(sim, client, receiver):
    httpx.post(f"{sim.api_url}/deleteWebhook")
    with pytest.raises(SimError) as info:
        client.send_text(USER, "hi")
    assert info.value.status == 409 and "setWebhook" in info.value.payload["error"]
    assert client.messages(USER)["messages"] == []
    httpx.post(f"{sim.api_url}/setWebhook", data={"url": f"{receiver.url}/hook", "secret_token": SECRET})

    update = {"update_id": 500, "message": {"message_id": 1, "date": 0, "text": "dup",
                                            "chat": {"id": USER, "type": "private"},
                                            "from": {"id": USER, "is_bot": False, "first_name": "U"}}}
    client.raw_update(update)
    client.raw_update(update, secret="wrong")
    client.raw_update(update, secret=None)
    assert [u[1]["update_id"] for u in receiver.updates] == [500, 500, 500]
    assert [u[0].get("X-Telegram-Bot-Api-Secret-Token") for u in receiver.updates] == [SECRET, "wrong", None]
    assert client.send_text(USER, "next")["update_id"] == 501  # generated ids stay above injected ones

    receiver.status = 500
    assert client.send_text(USER, "boom")["webhook_status"] == 500
    info = httpx.get(f"{sim.api_url}/getWebhookInfo").json()["result"]
    assert info["url"].endswith("/hook") and "500" in info["last_error_message"]


def test_json_bodies_and_long_poll(sim, client):
    client.send_text(USER, "hi")
    first = httpx.post(f"{sim.api_url}/sendMessage", json={
        "chat_id": USER, "text": "json", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}})
    assert first.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    message_id = first.json()["result"]["message_id"]
    assert client.wait(USER, after_message_id=message_id - 1, timeout=2)["messages"][0]["message_id"] == message_id

    def later():
        time.sleep(0.3)
        httpx.get(f"{sim.api_url}/editMessageText", params={"chat_id": USER, "message_id": message_id, "text": "new"})

    threading.Thread(target=later).start()
    started = time.monotonic()
    changed = client.wait(USER, after_message_id=message_id, timeout=5)
    assert 0.2 < time.monotonic() - started < 4
    assert changed["messages"][0]["message"]["text"] == "new" and changed["messages"][0]["edited"]
    assert client.wait(USER, after_rev=changed["rev"], timeout=0.2)["timed_out"]
    transcript = client.messages(USER)["messages"]
    assert [r["from_bot"] for r in transcript] == [False, True]


def test_html_parser_details():
    text, entities = parse_html('a <b>б <i>в</i></b> <a href="https://x.y/?q=1&amp;r=2">л</a> 😀 <code>c</code>')
    assert text == "a б в л 😀 c"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 2, 3), ("italic", 4, 1), ("text_link", 6, 1), ("code", 11, 1)]
    assert entities[2]["url"] == "https://x.y/?q=1&r=2"
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre> AT&T')
    assert text == "x = 1 AT&T" and entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    with pytest.raises(HtmlError, match='Unmatched end tag at byte offset 8, expected "</i>", found "</b>"'):
        parse_html("<b>x<i>y</b></i>")


# --- terminal chat ----------------------------------------------------------------------------

def test_chat_parse_input():
    assert chat.parse_input("привет") == chat.Action("text", text="привет")
    assert chat.parse_input("/start") == chat.Action("text", text="/start")
    assert chat.parse_input(":2") == chat.Action("press", index=2)
    assert chat.parse_input(" :3@17 ") == chat.Action("press", index=3, message_id=17)
    assert chat.parse_input(":)") == chat.Action("text", text=":)")
    assert chat.parse_input("/photo котик") == chat.Action("photo", text="котик")
    assert chat.parse_input("/photo") == chat.Action("photo")
    assert chat.parse_input("/quit").kind == "quit"
    assert chat.parse_input("   ").kind == "none"


def test_chat_formatting():
    message = {"message_id": 5, "text": "Выберите 😀 раздел", "entities": [
        {"type": "bold", "offset": 12, "length": 6}],
        "reply_markup": {"inline_keyboard": [[{"text": "Изображения", "callback_data": "a"},
                                              {"text": "Видео", "callback_data": "b"}],
                                             [{"text": "Сайт", "url": "https://e.com"}]]}}
    record = {"message_id": 5, "message": message, "edited": False, "deleted": False}
    assert chat.format_message(record) == ["── bot #5", "Выберите 😀 раздел",
                                           "[1] Изображения  [2] Видео", "[3] Сайт ↗ https://e.com"]
    assert chat.format_message(record, ansi=True)[1] == "Выберите 😀 \033[1mраздел\033[22m"
    photo = {"message_id": 6, "photo": [{"file_id": "s"}, {"file_id": "big"}], "caption": "Готово"}
    lines = chat.format_message({"message_id": 6, "message": photo, "edited": True}, saved="x/6.png")
    assert lines == ["── bot #6 (изменено)", "[Фото] Готово → saved to x/6.png"]
    assert chat.media_of(photo) == ("photo", "big")
    assert chat.format_message({"message_id": 6, "message": photo, "deleted": True}, lang="en") == ["✗ #6 deleted"]
    link = chat.render_text("see docs", [{"type": "text_link", "offset": 4, "length": 4, "url": "https://d"}])
    assert link == "see docs (https://d)"
    records = {5: record, 6: {"message_id": 6, "message": photo}}
    assert chat.pick_button(records, 2) == (5, {"text": "Видео", "callback_data": "b"})
    with pytest.raises(ValueError, match="has 3 buttons"):
        chat.pick_button(records, 4)
    with pytest.raises(ValueError, match="no bot message #9"):
        chat.pick_button(records, 1, message_id=9)


def test_chat_session_end_to_end(sim, client, receiver, tmp_path):
    out = io.StringIO()
    session = chat.ChatSession(client, USER, "ru", "Иван", media_dir=tmp_path, out=out)
    session.handle(chat.parse_input("/start"))
    assert Update.de_json(receiver.updates[-1][1], None).message.text == "/start"
    session.load_history()
    poller = threading.Thread(target=session.poll, daemon=True)
    poller.start()

    async def reply(bot):
        return await bot.send_photo(USER, make_png(64, 64), caption="<b>Готово</b>", parse_mode="HTML",
                                    reply_markup=KEYBOARD)

    sent = with_bot(sim, reply)
    deadline = time.monotonic() + 5
    while "[Фото]" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    session.handle(chat.parse_input(":2"))
    session.stop.set()
    text = out.getvalue()
    assert f"── bot #{sent.message_id}" in text and "[1] Изображения  [2] Видео" in text
    assert "[Фото] Готово → saved to" in text
    assert len(list(tmp_path.iterdir())) == 1
    assert Update.de_json(receiver.updates[-1][1], None).callback_query.data == "menu:video"
