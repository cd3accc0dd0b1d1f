"""Attacks on what a price promises (issue 11, items 1-4 and 12), as a hostile but ordinary user makes
them through the real local stack: Telegram simulator users, the webhook, Firestore, the worker, the KIE
simulator. Each attack failed before media were measured from their bytes, uploaded under our own
names and confirm buttons carried their quote.

"The bytes are the truth": the provider runs exactly the file that was priced, and a price or a cap
never comes from anything the sender declares. "A confirmation is a contract": a confirm button runs
the order it showed at the price it showed, or shows the new price and runs nothing.
"""
from __future__ import annotations

import base64
import io
import random
import re
import threading
import time

import av
import httpx

from infra import media_samples as ms
from infra.telegram_sim import SimClient
from shared.catalog import load_catalog
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

CATALOG = load_catalog()
AVATAR = CATALOG.get("kling/ai-avatar-standard")  # 0.04 USD per second of audio_url: 7,60 ₽ per second
PER_SECOND = 760
KLING = CATALOG.get("kling-2.6/text-to-video")
KLING_SILENT = {"5": 5225, "10": 10450}  # duration -> price without sound
TTS = CATALOG.get("elevenlabs/text-to-speech-multilingual-v2")  # 0.06 USD per 1000 characters
STORED_NAME = re.compile(r"/jobs/(?P<job>[0-9a-f]{16})/[0-9a-f]{32}\.(?P<ext>[a-z0-9]+)$")


def funded(stack, db, uid: int, rub: int = 10_000) -> TgUser:
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, rub * 100, "adjust", f"test_{uid}"))
    return u


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decoded_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        return sum(f.samples / f.sample_rate for f in container.decode(audio=0))


def charges(db, uid: int) -> list[int]:
    return [-e["amount_kopecks"] for e in run(db.users.ledger_for(uid)) if e["kind"] == "charge"]


def tasks(kie, model_id: str | None = None) -> list[dict]:
    return [t for t in kie.get("/sim/tasks").json()["tasks"] if model_id in (None, t["model"])]


def run_button(record) -> str:
    return next(d for _, d in buttons(record) if d.startswith(("ok:", "okx:")))


def wait_job(db, job_id: str, done, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        job = run(db.jobs.get(job_id))
        if done(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def avatar_draft(u: TgUser, audio: dict) -> None:
    """A Kling avatar draft up to its confirmation screen (opened from a fresh menu, so earlier screens stay)."""
    u.send("/start")
    u.press_data(cb.make(cb.START, AVATAR.id))
    u.send("say hello")
    u.sim.send_photo(u.id)
    u.sim.send_file(u.id, "audio", **audio)


# --- 1. the bytes are the truth: our names, never the sender's ---------------------------------------

def test_attack_01_same_named_upload_cannot_replace_a_priced_input(clean_stack, db, kie):
    u = funded(clean_stack, db, 8101)
    avatar_draft(u, {"file_name": "a.wav", "duration": 1})
    draft_a = run(db.drafts.current(u.id))
    assert "Запустить · 7,60 ₽" in str(buttons(u.last()))
    avatar_draft(u, {"file_name": "a.wav", "duration": 15})  # draft B: the same file name, 15 s
    draft_b = run(db.drafts.current(u.id))
    assert draft_b.id != draft_a.id and "114 ₽" in u.last_text()

    u.press("Запустить · 7,60 ₽")  # draft A's button, pressed after B was priced

    job = wait_job(db, draft_a.id, lambda j: j.kie_task_id)
    assert job.state in ("running", "succeeded") and charges(db, u.id) == [PER_SECOND]
    task = next(t for t in tasks(kie, AVATAR.id) if t["taskId"] == job.kie_task_id)
    ran = httpx.get(task["input"]["audio_url"], timeout=10).content
    assert round(decoded_seconds(ran)) == 1, "the provider runs the 1 s file that was priced"
    urls = {draft_a.inputs["audio_url"], draft_b.inputs["audio_url"], draft_a.inputs["image_url"],
            draft_b.inputs["image_url"]}
    assert len(urls) == 4, "two drafts never share an input"
    for draft in (draft_a, draft_b):
        for field in ("audio_url", "image_url"):
            found = STORED_NAME.search(draft.inputs[field])
            assert found and found["job"] == draft.id, draft.inputs[field]  # unguessable, ours
        segments = draft.inputs["audio_url"].split("/")  # a random name may itself end in "...a.wav"
        assert segments[-1] != "a.wav" and str(u.id) not in segments
        assert draft.media["audio_url"][0]["mime"] == "audio/wav"
        assert len(draft.media["audio_url"][0]["sha256"]) == 64
    assert draft_a.media["audio_url"][0]["duration_s"] == 1.0 and draft_b.media["audio_url"][0]["duration_s"] == 15.0


# --- 2. the bytes are the truth: durations are decoded, never declared --------------------------------

def test_attack_02_lying_duration_is_measured_from_the_bytes(clean_stack, db, kie):
    u = funded(clean_stack, db, 8102)
    u.press_data(cb.make(cb.START, AVATAR.id))
    u.send("say hello")
    u.sim.send_photo(u.id)

    # A 40 s voice message whose client declares 1 s: the 15 s cap sees 40 s.
    u.sim.send_file(u.id, "voice", content_b64=b64(ms.ogg_opus(40.0)), duration=1)
    assert "Запись 40 сек, а можно до 15 сек" in u.last_text(), u.last_text()
    # A file whose container header lies: an MP3 whose Xing header counts 1 s, followed by 40 s of frames.
    header_says_1s = ms.mp3(1.0) + ms.mp3(40.0)[len(ms._id3_tag(0)):]
    u.sim.send_file(u.id, "document", content_b64=b64(header_says_1s), file_name="a.mp3", mime_type="audio/mpeg")
    assert "Запись 41 сек, а можно до 15 сек" in u.last_text(), u.last_text()
    assert run(db.drafts.current(u.id)).inputs.get("audio_url") is None, "nothing was attached"

    # A 10 s recording declared as 1 s is priced at 10 s, and charged so.
    u.sim.send_file(u.id, "voice", content_b64=b64(ms.ogg_opus(10.0)), duration=1)
    assert "Проверьте заказ" in u.last_text() and "Стоимость: 76 ₽" in u.last_text()
    draft = run(db.drafts.current(u.id))
    assert draft.media["audio_url"][0]["duration_s"] == 10.0 and draft.media["audio_url"][0]["mime"] == "audio/ogg"
    u.press("Запустить · 76 ₽")
    job = wait_job(db, draft.id, lambda j: j.kie_task_id)
    assert charges(db, u.id) == [10 * PER_SECOND]
    assert round(decoded_seconds(httpx.get(job.inputs["audio_url"], timeout=10).content)) == 10


# --- 3. a confirmation is a contract: an option change racing Confirm -----------------------------------

def kling_draft(u: TgUser, db, duration: str) -> tuple[str, dict]:
    """A silent Kling draft at `duration` on its confirmation screen: (job id, the screen)."""
    u.press_data(cb.make(cb.START, KLING.id))
    u.send("a red fox running through snow")
    job = run(db.drafts.current(u.id))
    for name, value in (("sound", False), ("aspect_ratio", "1:1"), ("duration", duration)):
        field = KLING.field(name)
        u.press_data(cb.make(cb.SET, job.id, KLING.fields.index(field), [*field.values].index(value)
                             if field.type == "enum" else [True, False].index(value)))
    screen = u.last()
    assert "Проверьте заказ" in text_of(screen), text_of(screen)
    return job.id, screen


def test_attack_03_option_races_confirm_and_the_charge_matches_what_the_provider_runs(clean_stack, db, kie):
    u = funded(clean_stack, db, 8103)
    other = SimClient(clean_stack.url("telegram"))  # a second connection: Telegram delivers in parallel
    duration = KLING.field("duration")
    rng = random.Random(11)
    confirmed, refused = [], 0
    job_id, screen = kling_draft(u, db, "5")
    for _ in range(24):
        current = run(db.jobs.get(job_id)).inputs["duration"]
        change = "10" if current == "5" else "5"
        set_data = cb.make(cb.SET, job_id, KLING.fields.index(duration), duration.values.index(change))
        run_data, message_id = run_button(screen), screen["message_id"]
        delays = (rng.uniform(0, 0.03), rng.uniform(0, 0.03))

        def press(client: SimClient, data: str, delay: float) -> None:
            time.sleep(delay)
            client.press(u.id, message_id, data=data)

        racers = [threading.Thread(target=press, args=(u.sim, run_data, delays[0])),
                  threading.Thread(target=press, args=(other, set_data, delays[1]))]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        job = run(db.jobs.get(job_id))
        if job.state == "awaiting_input":  # refused: the current screen is shown again, nothing charged
            refused += 1
            screen = u.wait_for(lambda r: any(d.startswith(f"ok:{job_id}:") and d != run_data for _, d in buttons(r)))
            continue
        confirmed.append(job_id)
        wait_job(db, job_id, lambda j: j.delivered_at)  # a quiet chat: the next screens are text messages
        job_id, screen = kling_draft(u, db, rng.choice(["5", "10"]))
        if len(confirmed) >= 8 and refused >= 2:
            break
    other.close()

    assert confirmed, "some confirms won the race"
    for confirmed_id in confirmed:
        job = wait_job(db, confirmed_id, lambda j: j.kie_task_id)
        task = next(t for t in tasks(kie, KLING.id) if t["taskId"] == job.kie_task_id)
        ran = task["input"]["duration"]
        assert job.charged_kopecks == job.price_kopecks == KLING_SILENT[ran], (confirmed_id, ran, job.price_kopecks)
        assert job.inputs["duration"] == ran
    assert sorted(charges(db, u.id)) == sorted(run(db.jobs.get(j)).price_kopecks for j in confirmed)


# --- 4. a confirmation is a contract: an old button ----------------------------------------------------------

def test_attack_04_old_confirm_button_never_charges_a_price_it_did_not_show(clean_stack, db, kie):
    u = funded(clean_stack, db, 8104)
    u.press_data(cb.make(cb.START, TTS.id))
    u.send("Привет")
    u.press("James")
    old = u.last()
    assert "✅ Запустить · 0,07 ₽" in [text for text, _ in buttons(old)]
    u.send(("Очень длинный текст для озвучки. " * 147)[:4829])  # typed over the text: 4829 characters
    assert "55,06 ₽" in u.last_text()
    draft = run(db.drafts.current(u.id))

    u.press("Запустить · 0,07 ₽")  # the old message's button

    time.sleep(1.0)
    assert charges(db, u.id) == [] and tasks(kie) == [], "nothing charged, nothing run"
    assert run(db.jobs.get(draft.id)).state == "awaiting_input"
    shown = next(r for r in u.bot_messages() if r["message_id"] == old["message_id"])
    assert "цена теперь 55,06 ₽ (была 0,07 ₽)" in text_of(shown)
    assert "✅ Запустить · 55,06 ₽" in [text for text, _ in buttons(shown)]

    u.press("Запустить · 55,06 ₽")  # the price it now shows is the price charged
    wait_job(db, draft.id, lambda j: j.kie_task_id)
    assert charges(db, u.id) == [5506] and len(tasks(kie, TTS.id)) == 1


def test_attack_04_old_second_tap_never_charges_a_price_it_did_not_show(clean_stack, db, kie):
    u = funded(clean_stack, db, 8105)
    job_id, _ = kling_draft(u, db, "10")
    sound = KLING.field("sound")
    u.press_data(cb.make(cb.SET, job_id, KLING.fields.index(sound), 0))  # sound on: 209 ₽, above 150 ₽
    u.press("Запустить · 209 ₽")
    second_tap = u.last()
    assert "Да, запустить" in str(buttons(second_tap))
    duration = KLING.field("duration")  # meanwhile, from another screen, the order becomes 5 s: 104,50 ₽
    u.sim.press(u.id, second_tap["message_id"],
                data=cb.make(cb.SET, job_id, KLING.fields.index(duration), duration.values.index("5")))

    u.sim.press(u.id, second_tap["message_id"], data=run_button(second_tap))  # the old second tap

    time.sleep(1.0)
    assert charges(db, u.id) == [] and tasks(kie) == []
    assert run(db.jobs.get(job_id)).state == "awaiting_input"
    assert "цена теперь 104,50 ₽ (была 209 ₽)" in text_of(u.last())


# --- 12. bounded work: capacity before any download, capped fetches ---------------------------------------

def test_attack_12_upload_capacity_checked_before_download(clean_stack, db, kie):
    u = funded(clean_stack, db, 8112)
    u.press_data(cb.make(cb.START, "google/nano-banana-edit"))
    u.send("make it look like a watercolor")
    u.sim.send_album(u.id, count=10)
    assert len(run(db.drafts.current(u.id)).inputs["image_urls"]) == 10
    fetched = len(u.sim.calls("getFile"))
    assert fetched == 10

    for _ in range(3):
        u.sim.send_photo(u.id)
        assert "не больше 10" in u.last_text()
    u.sim.send_album(u.id, count=10)

    assert len(u.sim.calls("getFile")) == fetched, "a full step downloads nothing"
    assert len(run(db.drafts.current(u.id)).inputs["image_urls"]) == 10


def test_attack_12_chain_fetch_is_capped_and_measured(clean_stack, db, kie):
    u = funded(clean_stack, db, 8113)
    kie.post("/sim/config", json={"result_size_bytes": 12 * 1024 * 1024})  # over the upscaler's 10 MB
    u.press_data(cb.make(cb.START, "google/nano-banana"))
    u.send("a cup of coffee")
    u.press("Запустить")
    source = wait_job(db, run(db.jobs.recent_of(u.id, 1))[0]["id"], lambda j: j.delivered_at)
    assert source.state == "succeeded"

    u.press_data(cb.make(cb.CHAIN, source.id, "up"))  # "⬆️ Увеличить": the 12 MB result into a 10 MB input

    assert "Файл 12 МБ, а эта модель принимает до 10 МБ" in u.last_text(), u.last_text()
    assert run(db.drafts.current(u.id)) is None, "no draft priced from a file we did not measure"
