"""Real media from infra.media_samples, as the KIE and Telegram simulators serve it.

Every file is opened with PyAV (the library that encoded it) or Pillow, as a decoder would.
"""
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import httpx
import pytest
from PIL import Image

from infra import media_samples as ms
from infra.kie_sim import KieSimulator
from infra.telegram_sim import SimClient, TelegramSimulator

TOKEN = "123456:MEDIA"
USER = 2002


def probe(data):
    """(container format, {stream type: codec}, duration in s, decoded frame counts) of a file."""
    with av.open(io.BytesIO(data)) as container:
        codecs = {s.type: s.codec_context.codec.canonical_name for s in container.streams}
        duration = container.duration / 1_000_000 if container.duration else None
        frames = {}
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            frames[kind] = frames.get(kind, 0) + 1
        return container.format.name, codecs, duration, frames


# --- the generators -------------------------------------------------------------

@pytest.mark.parametrize("seconds, with_audio", [(1.0, False), (2.0, True)])
def test_mp4_is_h264_with_optional_aac(seconds, with_audio):
    data = ms.mp4(seconds, with_audio)

    fmt, codecs, duration, frames = probe(data)

    assert "mp4" in fmt and codecs["video"] == ("h264" if ms.video_codec() == "libx264" else "mpeg4")
    assert ("audio" in codecs) == with_audio and codecs.get("audio", "aac") == "aac"
    assert duration == pytest.approx(seconds, abs=0.1)
    assert frames["video"] == seconds * ms.VIDEO_FPS
    assert (frames.get("audio", 0) > 0) == with_audio
    assert len(data) < 40_000
    with av.open(io.BytesIO(data)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (320, 180)


@pytest.mark.parametrize("make, fmt, codec, seconds, limit", [
    (ms.mp3, "mp3", "mp3", 1.0, 8_000),
    (ms.ogg_opus, "ogg", "opus", 2.0, 8_000),
    (ms.wav, "wav", "pcm_s16le", 1.0, 40_000),
])
def test_audio_generators_decode_with_the_asked_duration(make, fmt, codec, seconds, limit):
    data = make(seconds)

    found_fmt, codecs, duration, frames = probe(data)

    assert found_fmt == fmt and codecs == {"audio": codec} and frames["audio"] > 0
    assert duration == pytest.approx(seconds, abs=0.05)
    assert len(data) < limit


def test_wav_takes_a_sample_rate():
    with av.open(io.BytesIO(ms.wav(0.5, 24000))) as container:
        assert container.streams.audio[0].sample_rate == 24000
        assert container.duration / 1_000_000 == pytest.approx(0.5, abs=0.01)


def test_pictures_and_pdf():
    assert Image.open(io.BytesIO(ms.png(64, 48, "кот"))).size == (64, 48)
    assert Image.open(io.BytesIO(ms.jpeg(80, 60, "x"))).format == "JPEG"
    pdf = ms.pdf("report")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) < 4_000


def test_generators_are_cached():
    assert ms.mp3(1.0) is ms.mp3(1.0)
    assert ms.mp4(1.0, False) is ms.mp4(1.0, False)


@pytest.mark.parametrize("fmt, make", [
    ("mp4", lambda: ms.mp4(1.0, True)), ("mp3", lambda: ms.mp3(1.0)), ("ogg", lambda: ms.ogg_opus(1.0)),
    ("wav", lambda: ms.wav(1.0)),
])
@pytest.mark.parametrize("extra", [3, 101, 50_000])
def test_padding_gives_the_exact_size_and_keeps_files_playable(fmt, make, extra):
    data = make()

    padded = ms.pad(data, fmt, len(data) + extra)

    assert len(padded) == len(data) + extra
    assert probe(padded)[1:] == probe(data)[1:]
    if fmt == "ogg":  # inside the OpusTags header, not junk after the stream
        assert len(ms._ogg_pages(padded)[1]) < 32


@pytest.mark.parametrize("extra", [5, 20, 10_000])
def test_padding_png_and_pdf(extra):
    png = ms.png(32, 32, "p")
    padded = ms.pad(png, "png", len(png) + extra)
    assert len(padded) == len(png) + extra
    Image.open(io.BytesIO(padded)).verify()  # checks every chunk's CRC
    pdf = ms.pdf("p")
    padded = ms.pad(pdf, "pdf", len(pdf) + extra)
    assert len(padded) == len(pdf) + extra and padded.rstrip(b"\0\n").endswith(b"%%EOF")
    assert ms.pad(pdf, "pdf", 10) is pdf  # never shrinks


# --- the KIE simulator ------------------------------------------------------------

@pytest.fixture(scope="module")
def kie():
    simulator = KieSimulator(port=0, latency_ms=20).start()
    yield simulator
    simulator.stop()


def kie_result(kie, model, payload):
    with kie.client(timeout=5) as client:
        task_id = client.post("/api/v1/jobs/createTask", json={"model": model, "input": payload}).json()
        task_id = task_id["data"]["taskId"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data = client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
            if data["state"] == "success":
                url = json.loads(data["resultJson"])["resultUrls"][0]
                return url, httpx.get(url), httpx.head(url)
            time.sleep(0.02)
    raise AssertionError(f"{model} did not finish")


def test_kie_video_model_serves_a_real_mp4_with_sound(kie):
    url, got, head = kie_result(kie, "kling-2.6/text-to-video",
                                {"prompt": "cat", "sound": True, "aspect_ratio": "1:1", "duration": "5"})

    assert url.endswith("/0.mp4") and got.headers["content-type"] == "video/mp4"
    assert int(got.headers["content-length"]) == len(got.content) < 40_000
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(got.content)
    _, codecs, duration, _ = probe(got.content)
    assert set(codecs) == {"video", "audio"} and duration == pytest.approx(2.0, abs=0.1)


def test_kie_tts_serves_a_real_mp3(kie):
    url, got, head = kie_result(kie, "elevenlabs/text-to-speech-turbo-2-5",
                                {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX"})

    assert url.endswith("/0.mp3") and got.headers["content-type"] == "audio/mpeg"
    assert int(head.headers["content-length"]) == len(got.content)
    assert probe(got.content)[:3] == ("mp3", {"audio": "mp3"}, pytest.approx(1.0, abs=0.05))


@pytest.mark.parametrize("output_format, ext, content_type, codec", [
    ("pcm_24000", "wav", "audio/wav", "pcm_s16le"), ("opus_48000_64", "ogg", "audio/ogg", "opus"),
    ("mp3_44100_128", "mp3", "audio/mpeg", "mp3")])
def test_kie_sound_effect_honours_output_format(kie, output_format, ext, content_type, codec):
    url, got, _ = kie_result(kie, "elevenlabs/sound-effect-v2",
                             {"text": "boom", "output_format": output_format})

    assert url.endswith(f"/0.{ext}") and got.headers["content-type"] == content_type
    assert probe(got.content)[1] == {"audio": codec}


def test_kie_result_size_pads_a_playable_video(kie):
    kie.configure(result_size_bytes=300_000)
    try:
        _, got, head = kie_result(kie, "wan/2-6-text-to-video", {"prompt": "waves"})
    finally:
        kie.reset()

    assert len(got.content) == int(head.headers["content-length"]) == 300_000
    assert set(probe(got.content)[1]) == {"video"}


# --- the Telegram simulator -------------------------------------------------------

class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.updates.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def telegram():
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    hook.updates = []
    threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
    simulator = TelegramSimulator(port=0, token=TOKEN).start()
    httpx.post(f"{simulator.api_url}/setWebhook", json={"url": f"http://127.0.0.1:{hook.server_port}/"})
    client = SimClient(simulator.base_url, timeout=10)
    yield simulator, client, hook.updates
    client.close()
    simulator.stop()
    hook.shutdown()
    hook.server_close()


def user_sends(telegram, kind, **options):
    """The Bot API object the bot gets, and the bytes it downloads via getFile."""
    simulator, client, updates = telegram
    client.send_file(USER, kind, **options)
    obj = updates[-1]["message"][kind]
    info = httpx.get(f"{simulator.api_url}/getFile", params={"file_id": obj["file_id"]}).json()["result"]
    download = httpx.get(f"{simulator.base_url}/file/bot{TOKEN}/{info['file_path']}")
    assert download.status_code == 200 and info["file_size"] == len(download.content)
    return obj, download


def test_telegram_user_audio_is_a_real_mp3_of_the_asked_duration(telegram):
    obj, download = user_sends(telegram, "audio", duration=5, title="Song")

    assert obj["duration"] == 5 and obj["mime_type"] == "audio/mpeg" and obj["file_name"] == "audio.mp3"
    assert obj["file_size"] == len(download.content) and download.headers["content-type"] == "audio/mpeg"
    assert probe(download.content)[:3] == ("mp3", {"audio": "mp3"}, pytest.approx(5.0, abs=0.05))


def test_telegram_user_voice_is_ogg_opus(telegram):
    obj, download = user_sends(telegram, "voice", duration=2)

    assert obj["mime_type"] == "audio/ogg" and "file_name" not in obj and obj["duration"] == 2
    assert probe(download.content)[:3] == ("ogg", {"audio": "opus"}, pytest.approx(2.0, abs=0.05))


def test_telegram_user_video_matches_its_object(telegram):
    obj, download = user_sends(telegram, "video", duration=2, width=320, height=240)

    assert (obj["width"], obj["height"], obj["duration"]) == (320, 240, 2) and obj["mime_type"] == "video/mp4"
    _, codecs, duration, _ = probe(download.content)
    assert set(codecs) == {"video", "audio"} and duration == pytest.approx(2.0, abs=0.1)


def test_telegram_user_document_and_padding(telegram):
    pdf, download = user_sends(telegram, "document")
    assert pdf["file_name"] == "document.pdf" and pdf["mime_type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")

    padded, download = user_sends(telegram, "voice", duration=1, size_bytes=100_000)
    assert padded["file_size"] == len(download.content) == 100_000
    assert probe(download.content)[1] == {"audio": "opus"}


def test_telegram_user_can_declare_a_false_duration(telegram):
    """A lying client: the message says 1 s, the bytes hold 6 s (and an MP3's own header can lie too)."""
    voice, download = user_sends(telegram, "voice", duration=1, real_duration=6)
    assert voice["duration"] == 1
    assert probe(download.content)[2] == pytest.approx(6.0, abs=0.05)

    audio, download = user_sends(telegram, "audio", duration=1, real_duration=12, header_duration=1)
    assert audio["duration"] == 1
    assert probe(download.content)[2] == pytest.approx(1.0, abs=0.1)  # what the header claims
    with av.open(io.BytesIO(download.content)) as container:
        stream = container.streams.audio[0]
        assert sum(f.samples for f in container.decode(stream)) / stream.sample_rate == pytest.approx(12.0)
