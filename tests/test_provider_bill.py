"""The provider's bill is the user's price: paid models with options and media, run through the real stack;
for each job, what the KIE simulator billed (from KIE's own price table and the inputs it measured) × FX ×
markup, rounded up to a kopeck, must be exactly what the user was charged (infra/invariants.py)."""
from __future__ import annotations

import time
from typing import Any

import pytest

from infra.invariants import provider_bill_is_the_price, read_world, results_come_from_the_jobs_own_task
from shared.catalog import load_catalog
from shared.domain.validation import missing_asked_field
from shared.ui import callbacks as cb
from shared.domain.validation import choices
from tests.conftest import run
from tests.helpers import TgUser, buttons

CATALOG = load_catalog()
PROMPT = "A calm cat astronaut floating above the Moon, cinematic light"
PHOTO = {"photo": {"width": 800, "height": 600}}
SKIP = []  # an optional media step left out

# (model, options chosen in the wizard or on the confirmation screen, what is sent for each media field)
CASES = [
    pytest.param("google/imagen4-ultra", {}, {}, id="imagen4-ultra"),
    pytest.param("infinitalk/from-audio", {"resolution": "720p"},
                 {"image_url": PHOTO, "audio_url": {"voice": {"duration": 6}}}, id="infinitalk-720p-voice-6s"),
    pytest.param("seedream/4.5-edit", {"quality": "high"}, {"image_urls": PHOTO}, id="seedream-edit-high"),
    pytest.param("grok-imagine/text-to-image", {"enable_pro": True}, {}, id="grok-image-pro"),
    pytest.param("flux-2/pro-text-to-image", {"resolution": "2K"}, {}, id="flux-pro-2K"),
    pytest.param("flux-2/pro-image-to-image", {"resolution": "2K"}, {"input_urls": PHOTO}, id="flux-pro-edit-2K"),
    pytest.param("nano-banana-pro", {"resolution": "4K"}, {}, id="nano-banana-pro-4K"),
    pytest.param("bytedance/seedance-1.5-pro", {"resolution": "1080p", "generate_audio": True, "duration": 8}, {},
                 id="seedance-1080p-audio-8s"),
    pytest.param("kling-2.6/text-to-video", {"duration": "10", "sound": True}, {}, id="kling-10s-sound"),
    pytest.param("wan/2-6-text-to-video", {"duration": "15", "resolution": "720p"}, {}, id="wan26-15s-720p"),
    pytest.param("wan/2-5-text-to-video", {"duration": "10", "resolution": "1080p"}, {}, id="wan25-10s-1080p"),
    pytest.param("hailuo/2-3-image-to-video-standard", {"duration": "10"}, {"image_url": PHOTO}, id="hailuo-10s"),
    pytest.param("grok-imagine/text-to-video", {"resolution": "720p", "duration": 10}, {}, id="grok-video-720p-10s"),
    pytest.param("elevenlabs/text-to-speech-turbo-2-5", {"text": "Привет! " * 40}, {}, id="tts-turbo-320-chars"),
    pytest.param("elevenlabs/audio-isolation", {}, {"audio_url": {"voice": {"duration": 7}}}, id="isolation-voice-7s"),
    pytest.param("elevenlabs/audio-isolation", {}, {"audio_url": {"audio": {"duration": 4, "file_name": "talk.mp3"}}},
                 id="isolation-audio-4s"),
    pytest.param("kling/ai-avatar-standard", {}, {"image_url": PHOTO, "audio_url": {"voice": {"duration": 6}}},
                 id="avatar-6s"),
    pytest.param("kling/ai-avatar-pro", {}, {"image_url": PHOTO, "audio_url": {"voice": {"duration": 4}}},
                 id="avatar-pro-4s"),
    # The 2026 models: each tier and mode of Veo 3.1, Kling 3.0 by mode, sound and length, the new images, Suno.
    pytest.param("veo-3-1/lite", {"generation_type": "REFERENCE_2_VIDEO", "resolution": "4k"},
                 {"image_urls": [PHOTO, PHOTO, PHOTO]}, id="veo-lite-references-4k"),
    pytest.param("veo-3-1/fast", {"generation_type": "FIRST_AND_LAST_FRAMES_2_VIDEO", "resolution": "1080p",
                                  "duration": "6"}, {"image_urls": [PHOTO, PHOTO]}, id="veo-fast-frames-1080p"),
    pytest.param("veo-3-1/quality", {"generation_type": "TEXT_2_VIDEO", "resolution": "4k"}, {"image_urls": SKIP},
                 id="veo-quality-text-4k"),
    pytest.param("kling-3.0/video", {"sound": True, "mode": "pro", "duration": "12"}, {"image_urls": SKIP},
                 id="kling3-pro-sound-12s"),
    pytest.param("kling-3.0/video", {"sound": False, "mode": "std", "duration": "3"}, {"image_urls": [PHOTO, PHOTO]},
                 id="kling3-std-frames-3s"),
    pytest.param("kling/v3-turbo-image-to-video", {"resolution": "1080p", "duration": "15"}, {"image_urls": PHOTO},
                 id="kling3-turbo-photo-1080p-15s"),
    pytest.param("nano-banana-2", {"resolution": "4K"}, {"image_input": [PHOTO, PHOTO]}, id="nano-banana-2-4K"),
    pytest.param("gpt-image-2-image-to-image", {"aspect_ratio": "16:9", "resolution": "2K"}, {"input_urls": PHOTO},
                 id="gpt-image-2-edit-2K"),
    pytest.param("seedream/5-lite-image-to-image", {"quality": "high"}, {"image_urls": PHOTO}, id="seedream5-edit"),
    pytest.param("suno/generate-custom", {"instrumental": True, "model": "V6_WILD"}, {}, id="suno-custom"),
    pytest.param("elevenlabs/text-to-speech-multilingual-v2", {"text": "Добрый вечер! " * 30}, {},
                 id="tts-multilingual-420-chars"),
    pytest.param("wan/2-2-a14b-speech-to-video-turbo", {"resolution": "720p", "num_frames": 120},
                 {"image_url": PHOTO, "audio_url": {"voice": {"duration": 3}}}, id="wan22-720p-120-frames"),
    pytest.param("topaz/image-upscale", {"upscale_factor": "4"}, {"image_url": PHOTO}, id="topaz-x4"),  # 3200 px: 4K
    # A client that lies: the message declares 1 s, the bytes hold 9 s; a document whose MP3 header says 1 s.
    pytest.param("elevenlabs/audio-isolation", {}, {"audio_url": {"voice": {"duration": 1, "real_duration": 9}}},
                 id="isolation-voice-declared-1s-is-9s"),
    pytest.param("elevenlabs/audio-isolation", {},
                 {"audio_url": {"document": {"file_name": "talk.mp3", "mime_type": "audio/mpeg", "duration": 10,
                                             "header_duration": 1}}}, id="isolation-mp3-header-1s-is-10s"),
]


def funded(stack, db, uid: int) -> TgUser:
    u = TgUser(stack.url("telegram"), uid)
    u.send("/start")
    run(db.users.adjust_balance(uid, 10_000_000, "adjust", f"bill_{uid}"))
    return u


def send_media(u: TgUser, spec: dict) -> None:
    (kind, options), = spec.items()
    sent = u.sim.send_photo(u.id, **options) if kind == "photo" else u.sim.send_file(u.id, kind, **options)
    assert sent["webhook_status"] == 200, sent


def set_choice(u: TgUser, job_id: str, model, name: str, value: Any) -> None:
    field = model.field(name)
    index = model.fields.index(field)
    if field.type in ("enum", "boolean"):
        u.press_data(cb.make(cb.SET, job_id, index, choices(field).index(value)))
    else:  # a number or a text: open its editor, then type it
        u.press_data(cb.make(cb.EDIT, job_id, index))
        u.send(str(value))


def fill(u: TgUser, db, model, options: dict[str, Any], media: dict[str, dict]) -> str:
    """Answer every step with the chosen options and media; then set the remaining options on the
    confirmation screen. Returns the draft's job id."""
    for _ in range(20):
        job = run(db.drafts.current(u.id))
        field = missing_asked_field(model, job.inputs, job.skipped)
        if field is None:
            break
        index = model.fields.index(field)
        if field.is_media:
            sent = media.get(field.name, PHOTO if field.type == "image" else {field.type: {"duration": 3}})
            if sent is SKIP:
                u.press_data(cb.make(cb.SET, job.id, index, "d"))
                continue
            for spec in sent if isinstance(sent, list) else [sent]:
                send_media(u, spec)
            if field.multiple and len(run(db.drafts.current(u.id)).media.get(field.name, [])) < field.max_count:
                u.press_data(cb.make(cb.DONE, job.id, index))
        elif field.type == "text":
            u.send(str(options.get(field.name, PROMPT))[: field.max_length or None])
        elif field.name in options:
            set_choice(u, job.id, model, field.name, options[field.name])
        else:
            default = field.default if field.default is not None else choices(field)[0]
            set_choice(u, job.id, model, field.name, default)
    job = run(db.drafts.current(u.id))
    for name, value in options.items():
        if model.field(name).ui == "option" and job.inputs.get(name) != value:
            set_choice(u, job.id, model, name, value)
    return job.id


def confirm_and_wait(u: TgUser, db, job_id: str, timeout: float = 60.0) -> dict:
    data = next(d for _, d in buttons(u.last()) if d.startswith(f"{cb.CONFIRM}:"))
    u.press_data(data)
    second = [d for _, d in buttons(u.last()) if d.startswith(f"{cb.RUN_EXPENSIVE}:")]
    if second:  # above CONFIRM_ABOVE_RUB: the second tap
        u.press_data(second[0])
    deadline = time.monotonic() + timeout
    job = run(db.jobs.get(job_id))
    while job.state not in ("succeeded", "failed", "refunded") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = run(db.jobs.get(job_id))
    assert job.state == "succeeded", (job.state, job.error_code, job.error_message)
    return job


def bill_problems(stack, job_id: str) -> list[str]:
    world = read_world(stack)
    world.jobs = [j for j in world.jobs if j["id"] == job_id]
    return provider_bill_is_the_price(world) + results_come_from_the_jobs_own_task(world)


@pytest.mark.parametrize("model_id, options, media", CASES)
def test_provider_bill_is_the_users_price(request, clean_stack, db, model_id, options, media):
    model = CATALOG.get(model_id)
    u = funded(clean_stack, db, 91000 + [c.id for c in CASES].index(request.node.callspec.id))
    u.press_data(cb.make(cb.START, model.id))
    job_id = fill(u, db, model, options, media)

    job = confirm_and_wait(u, db, job_id)

    assert not job.is_free, "a free run: nothing charged to compare"
    assert bill_problems(clean_stack, job_id) == []
