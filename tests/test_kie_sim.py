"""The KIE simulator, driven over real HTTP like the bot will drive it."""
import base64
import hashlib
import io
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from infra import media_samples
from infra.kie_sim import KieSimulator, sign_webhook
from infra.kie_sim.catalog import load_models
from infra.kie_sim.validation import URL_FIELDS

API_KEY = "test-api-key"
HMAC_KEY = "test_webhook_hmac_key"
MODELS = load_models()


@pytest.fixture(scope="module")
def sim():
    simulator = KieSimulator(port=0, api_key=API_KEY, hmac_key=HMAC_KEY, latency_ms=50).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def fresh(sim):
    sim.reset()


@pytest.fixture
def client(sim):
    with sim.client(timeout=5) as c:
        yield c


@pytest.fixture
def receiver():
    """A local callback endpoint recording (headers, json body) pairs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}/kie/callback"
    yield server
    server.shutdown()
    server.server_close()


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


# --- helpers -------------------------------------------------------------------

def create(client, model, payload, **extra):
    return client.post("/api/v1/jobs/createTask", json={"model": model, "input": payload, **extra}).json()


def record(client, task_id):
    return client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()


def wait_until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def wait_terminal(client, task_id):
    return wait_until(lambda: _terminal(record(client, task_id)["data"]))


def _terminal(data):
    return data if data["state"] in ("success", "fail") else None


def upload(client, data, name, mime):
    answer = client.post("/api/file-stream-upload", files={"file": (name, data, mime)},
                         data={"uploadPath": "samples", "fileName": name})
    return answer.json()["data"]["downloadUrl"]


def upload_samples(client):
    """Real media in the simulator's own storage (it measures every input file it bills by)."""
    return {"image": upload(client, media_samples.png(640, 480, "sample"), "sample.png", "image/png"),
            "audio": upload(client, media_samples.mp3(3), "sample.mp3", "audio/mpeg"),
            "video": upload(client, media_samples.mp4(2, True), "sample.mp4", "video/mp4")}


def sample_url(field, samples):
    kinds = " ".join(field.get("file_types", []))
    return samples["audio" if "audio" in kinds else "video" if "video" in kinds else "image"]


def sample_value(name, field, samples):
    """A valid value for one field, built from the reference."""
    if "default" in field:
        return field["default"]
    if "enum" in field:
        return field["enum"][0]
    is_url = name in URL_FIELDS or "file_types" in field
    kind = field["type"]
    if kind == "array<string>":
        return [sample_url(field, samples) if is_url else "item"] * max(1, field.get("min", 1))
    if kind == "boolean":
        return False
    if kind in ("number", "integer", "number|string"):
        return field.get("min", 1)
    return sample_url(field, samples) if is_url else "a red fox in the snow"


def minimal_input(spec, samples):
    fields = spec["input"]
    payload = {name: sample_value(name, f, samples) for name, f in fields.items() if f.get("required")}
    for name in spec.get("one_of_required", [])[:1]:
        payload[name] = sample_value(name, fields[name], samples)
    if spec["kie_model"] == "ai-music-api/generate":  # the simple mode needs its idea (a rule of its docs)
        payload["prompt"] = "a song about a red fox"
    return payload


# --- auth and envelope ---------------------------------------------------------------

def test_missing_or_wrong_key_is_401(sim):
    body = {"model": "z-image", "input": {"prompt": "cat", "aspect_ratio": "1:1"}}
    no_key = httpx.post(f"{sim.base_url}/api/v1/jobs/createTask", json=body)
    wrong = httpx.get(f"{sim.base_url}/api/v1/chat/credit", headers={"Authorization": "Bearer nope"})
    upload = httpx.post(f"{sim.base_url}/api/file-base64-upload", json={"base64Data": "aGk=", "uploadPath": "x"})

    assert no_key.status_code == 200
    assert no_key.json() == {"code": 401, "msg": "You do not have access permissions", "data": None}
    assert wrong.json()["code"] == 401
    assert upload.status_code == 401 and upload.json()["success"] is False


def test_credit_endpoint(client):
    assert client.get("/api/v1/chat/credit").json() == {"code": 200, "msg": "success", "data": 10000}


# --- task lifecycle ------------------------------------------------------------------

def test_image_task_succeeds_with_a_real_png(client):
    body = {"model": "z-image", "callBackUrl": "http://127.0.0.1:9/none",
            "input": {"prompt": "a lighthouse at dusk", "aspect_ratio": "1:1"}}

    created = client.post("/api/v1/jobs/createTask", json=body).json()
    task_id = created["data"]["taskId"]
    data = wait_terminal(client, task_id)

    assert created["code"] == 200 and created["msg"] == "success"
    assert len(task_id) == 32 and int(task_id, 16) >= 0 and task_id == task_id.lower()
    assert data["state"] == "success" and data["model"] == "z-image"
    assert json.loads(data["param"]) == body
    assert data["failCode"] == "" and data["failMsg"] == ""
    assert data["consumeCredits"] == 0.8 and data["remainedCredits"] == 9999.2
    assert data["createTime"] <= data["completeTime"] == data["updateTime"]
    url = json.loads(data["resultJson"])["resultUrls"][0]
    image = Image.open(io.BytesIO(httpx.get(url).content))
    assert url.endswith("/0.png") and image.format == "PNG" and image.size == (512, 512)


def test_task_passes_through_generating(sim, client):
    sim.configure(latency_ms=60_000)
    task_id = create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"})["data"]["taskId"]

    assert record(client, task_id)["data"]["resultJson"] == ""
    wait_until(lambda: record(client, task_id)["data"]["state"] == "generating")
    done = client.post(f"/sim/tasks/{task_id}/complete", json={"outcome": "success"})
    again = client.post(f"/sim/tasks/{task_id}/complete", json={})

    assert done.json()["state"] == "success"
    assert again.status_code == 409
    assert client.get("/sim/tasks").json()["tasks"][0]["taskId"] == task_id


@pytest.mark.parametrize("enable_pro, count", [(False, 6), (True, 4)])
def test_grok_text_to_image_returns_a_set(client, enable_pro, count):
    task_id = create(client, "grok-imagine/text-to-image",
                     {"prompt": "owl", "enable_pro": enable_pro})["data"]["taskId"]

    urls = json.loads(wait_terminal(client, task_id)["resultJson"])["resultUrls"]

    assert len(urls) == count


def test_video_result_is_served_as_mp4(client):
    task_id = create(client, "wan/2-6-text-to-video", {"prompt": "waves"})["data"]["taskId"]

    url = json.loads(wait_terminal(client, task_id)["resultJson"])["resultUrls"][0]

    assert httpx.get(url).headers["content-type"] == "video/mp4"


def test_fail_rate_one_fails_the_task_and_refunds(sim, client):
    sim.configure(fail_rate=1, task_fail_code="400", task_fail_msg="content policy")
    task_id = create(client, "google/imagen4", {"prompt": "cat"})["data"]["taskId"]

    data = wait_terminal(client, task_id)

    assert data["state"] == "fail" and data["failCode"] == "400" and data["failMsg"] == "content policy"
    assert data["resultJson"] == "" and data["consumeCredits"] == 0
    assert client.get("/api/v1/chat/credit").json()["data"] == 10000


def test_scripted_outcomes_run_in_order(client):
    client.post("/sim/outcomes", json={"outcomes": ["fail", "success"]})
    first = create(client, "google/imagen4", {"prompt": "a"})["data"]["taskId"]
    second = create(client, "google/imagen4", {"prompt": "b"})["data"]["taskId"]

    assert wait_terminal(client, first)["state"] == "fail"
    assert wait_terminal(client, second)["state"] == "success"


def test_record_info_for_unknown_id(client):
    assert record(client, "0" * 32) == {"code": 422, "msg": "recordInfo is null", "data": None}


# --- validation ------------------------------------------------------------------------

@pytest.mark.parametrize("model, payload, msg", [
    ("z-image", {"aspect_ratio": "1:1"}, "prompt is required"),
    ("z-image", {"prompt": "cat", "aspect_ratio": "2:1"}, "aspect_ratio is invalid: must be one of 1:1, 4:3"),
    ("z-image", {"prompt": "x" * 1001, "aspect_ratio": "1:1"}, "prompt is invalid: length must be at most 1000"),
    ("z-image", {"prompt": "cat", "aspect_ratio": "1:1", "style": "anime"}, "style is not a supported"),
    ("kling-2.6/text-to-video", {"prompt": "cat", "sound": "yes", "aspect_ratio": "1:1", "duration": "5"},
     "sound is invalid: must be a boolean"),
    ("kling-2.6/text-to-video", {"prompt": "cat", "sound": False, "aspect_ratio": "1:1", "duration": 5},
     "duration is invalid: must be a string"),
    ("bytedance/seedance-1.5-pro", {"prompt": "cat", "aspect_ratio": "1:1", "duration": 20},
     "duration is invalid: must be between 4 and 12"),
    ("elevenlabs/text-to-speech-turbo-2-5", {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX", "speed": 2},
     "speed is invalid: must be between 0.7 and 1.2"),
    ("google/nano-banana-edit", {"prompt": "cat", "image_urls": "https://x/y.png"},
     "image_urls is invalid: must be an array of strings"),
    ("google/nano-banana-edit", {"prompt": "cat", "image_urls": ["file:///etc/passwd"]},
     "image_urls is invalid: must be an http(s) file URL"),
    ("kling-2.6/image-to-video", {"prompt": "c", "image_urls": ["https://a/1.png", "https://a/2.png"],
                                  "sound": True, "duration": "5"}, "must contain at most 1 items"),
    ("grok-imagine/image-to-video", {"prompt": "move"}, "exactly one of image_urls, task_id is required"),
])
def test_invalid_input_is_422(client, model, payload, msg):
    answer = create(client, model, payload)

    assert answer["code"] == 422 and answer["data"] is None
    assert msg in answer["msg"]


def test_unknown_model_is_422(client):
    answer = create(client, "midjourney", {"prompt": "cat"})

    assert answer == {"code": 422, "msg": "The page does not exist or is not published", "data": None}


def test_duration_accepts_number_or_numeric_string(client):
    for duration in (6, "8", "12", 10.5):
        payload = {"prompt": "cat", "aspect_ratio": "1:1", "duration": duration}
        assert create(client, "bytedance/seedance-1.5-pro", payload)["code"] == 200


@pytest.mark.parametrize("model", sorted(MODELS))
def test_minimal_valid_input_is_accepted_for_every_model(client, model):
    answer = create(client, model, minimal_input(MODELS[model], upload_samples(client)))

    assert answer["code"] == 200, answer["msg"]


def test_mirror_http_status(sim, client):
    sim.configure(mirror_http_status=True)

    response = client.post("/api/v1/jobs/createTask", json={"model": "z-image", "input": {}})

    assert response.status_code == 422 and response.json()["code"] == 422


# --- faults and credits -------------------------------------------------------------------

def test_create_fault_500_applies_once(client):
    client.post("/sim/config", json={"create_fault": 500})
    payload = {"prompt": "cat", "aspect_ratio": "1:1"}

    first, second = create(client, "z-image", payload), create(client, "z-image", payload)

    assert first["code"] == 500 and first["data"] is None
    assert second["code"] == 200


def test_create_fault_429_with_count_and_http_status(client):
    client.post("/sim/config", json={"create_fault": 429, "create_fault_count": 2, "mirror_http_status": True})
    body = {"model": "z-image", "input": {"prompt": "cat", "aspect_ratio": "1:1"}}

    statuses = [client.post("/api/v1/jobs/createTask", json=body).status_code for _ in range(3)]

    assert statuses == [429, 429, 200]


def test_chaos_switches_inject_and_count_faults(sim, client, receiver):
    payload = {"prompt": "cat", "aspect_ratio": "1:1"}
    client.post("/sim/config", json={"create_fault_rate": 1, "create_fault_codes": "455"})
    assert create(client, "z-image", payload)["code"] == 455
    client.post("/sim/config", json={"create_fault_rate": 0, "stall_rate": 1, "latency_ms": 10})
    stalled = create(client, "z-image", payload, callBackUrl=receiver.url)["data"]["taskId"]
    time.sleep(0.3)
    assert record(client, stalled)["data"]["state"] == "generating" and receiver.received == []
    client.post("/sim/config", json={"stall_rate": 0, "lost_callback_rate": 1})
    lost = create(client, "z-image", payload, callBackUrl=receiver.url)["data"]["taskId"]
    wait_until(lambda: record(client, lost)["data"]["state"] == "success")
    time.sleep(0.2)
    assert receiver.received == []
    client.post("/sim/config", json={"lost_callback_rate": 0, "duplicate_callback_rate": 1})
    create(client, "z-image", payload, callBackUrl=receiver.url)
    wait_until(lambda: len(receiver.received) == 2)
    client.post("/sim/config", json={"duplicate_callback_rate": 0, "slow_create_rate": 1, "slow_create_ms": 400,
                                     "api_latency_ms": 100})
    started = time.monotonic()
    assert create(client, "z-image", payload)["code"] == 200
    assert time.monotonic() - started >= 0.5
    injected = client.get("/sim/config").json()["injected"]
    assert injected == {"create_455": 1, "stall": 1, "lost_callback": 1, "duplicate_callback": 1, "slow_create": 1}


def test_not_enough_credits_is_402(client):
    client.post("/sim/config", json={"credits": 0.5})

    answer = create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"})

    assert answer["code"] == 402


def test_unknown_switch_is_rejected(client):
    assert client.post("/sim/config", json={"latencyMs": 5}).status_code == 400


# --- callbacks -------------------------------------------------------------------------

def test_webhook_signature_matches_the_doc_vector():
    signature = sign_webhook("test_webhook_hmac_key", "e989621f54392584b05867f87b160672", "1755599644")

    assert signature == "Nw6DAmfRi6na0cwtTbesqxsxQywVJws/qqnuUzYmVmI="


def test_success_callback_is_signed_and_matches_record_info(client, receiver):
    task_id = create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"},
                     callBackUrl=receiver.url)["data"]["taskId"]

    headers, body = wait_until(lambda: receiver.received)[0]

    timestamp = headers["X-Webhook-Timestamp"]
    assert headers["X-Webhook-Signature"] == sign_webhook(HMAC_KEY, task_id, timestamp)
    assert abs(int(timestamp) - time.time()) < 60
    assert body["code"] == 200 and body["msg"] == "Playground task completed successfully."
    assert body["data"] == record(client, task_id)["data"]
    attempt = wait_until(lambda: client.get("/sim/callbacks").json()["callbacks"])[0]
    assert attempt["url"] == receiver.url and attempt["status"] == 200


def test_failure_callback(client, receiver):
    client.post("/sim/outcomes", json={"outcomes": ["fail"]})
    create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"}, callBackUrl=receiver.url)

    body = wait_until(lambda: receiver.received)[0][1]

    assert body["code"] == 501 and body["msg"] == "Playground task failed."
    assert body["data"]["state"] == "fail" and body["data"]["failCode"] == "500"
    assert body["data"]["consumeCredits"] == 0


def test_duplicate_callbacks(sim, client, receiver):
    sim.configure(duplicate_callbacks=3)

    create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"}, callBackUrl=receiver.url)

    wait_until(lambda: len(receiver.received) == 3)
    assert len({body["data"]["taskId"] for _, body in receiver.received}) == 1


def test_no_callback(sim, client, receiver):
    sim.configure(no_callback=True, latency_ms=60_000)
    task_id = create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"},
                     callBackUrl=receiver.url)["data"]["taskId"]

    sim.complete(task_id, "success")
    time.sleep(0.2)

    assert receiver.received == [] and sim.callbacks() == []


# --- uploads and download-url ------------------------------------------------------------

def test_stream_upload_is_served_back(client):
    answer = client.post("/api/file-stream-upload", files={"file": ("cat.png", b"\x89PNG-bytes", "image/png")},
                         data={"uploadPath": "images/user-uploads", "fileName": "cat.png"})

    data = answer.json()["data"]
    assert answer.status_code == 200 and answer.json()["success"] is True
    assert data["filePath"] == "images/user-uploads/cat.png" and data["mimeType"] == "image/png"
    assert data["fileSize"] == 10 and data["downloadUrl"] == data["fileUrl"]
    assert data["expiresAt"] > data["uploadedAt"]
    assert httpx.get(data["downloadUrl"]).content == b"\x89PNG-bytes"


def test_base64_upload_accepts_a_data_url(client):
    encoded = base64.b64encode(b"hello").decode()

    answer = client.post("/api/file-base64-upload",
                         json={"base64Data": f"data:text/plain;base64,{encoded}", "uploadPath": "docs"})

    data = answer.json()["data"]
    assert data["mimeType"] == "text/plain" and data["filePath"].startswith("docs/")
    assert httpx.get(data["fileUrl"]).content == b"hello"


def test_upload_errors_use_http_status(client):
    no_path = client.post("/api/file-base64-upload", json={"base64Data": "aGk="})
    bad_b64 = client.post("/api/file-base64-upload", json={"base64Data": "***", "uploadPath": "x"})

    assert no_path.status_code == 400 and "uploadPath" in no_path.json()["msg"]
    assert bad_b64.status_code == 400 and bad_b64.json()["success"] is False


def test_url_upload_downloads_the_file(client):
    source = client.post("/api/file-base64-upload",
                         json={"base64Data": base64.b64encode(b"abc").decode(), "uploadPath": "src",
                               "fileName": "a.bin"}).json()["data"]["downloadUrl"]

    answer = client.post("/api/file-url-upload", json={"fileUrl": source, "uploadPath": "copies"})

    data = answer.json()["data"]
    assert data["filePath"].startswith("copies/") and data["fileSize"] == 3
    assert httpx.get(data["downloadUrl"]).content == b"abc"


def test_download_url_only_for_own_files(client):
    task_id = create(client, "z-image", {"prompt": "cat", "aspect_ratio": "1:1"})["data"]["taskId"]
    url = json.loads(wait_terminal(client, task_id)["resultJson"])["resultUrls"][0]

    own = client.post("/api/v1/common/download-url", json={"url": url}).json()
    external = client.post("/api/v1/common/download-url", json={"url": "https://example.com/a.png"}).json()

    assert own["code"] == 200 and own["data"].startswith(url + "?")
    assert httpx.get(own["data"]).headers["content-type"] == "image/png"
    assert external["code"] == 422


# --- the bill: measured inputs, KIE's price table, the ledger ------------------------------------

def ledger_entry(client, task_id):
    return next(t for t in client.get("/sim/ledger").json()["tasks"] if t["taskId"] == task_id)


def billed(client, model, payload):
    answer = create(client, model, payload, callBackUrl="http://127.0.0.1:9/cb?job=J1")
    assert answer["code"] == 200, answer
    return ledger_entry(client, answer["data"]["taskId"])


PROMPT = {"prompt": "a red fox in the snow"}
JAMES = "EkK5I93UQWFDigLMpZcX"  # the provider's default voice


@pytest.mark.parametrize("model, payload, credits", [
    ("z-image", {**PROMPT, "aspect_ratio": "1:1"}, "0.8"),
    ("google/imagen4-ultra", PROMPT, "12"),
    ("bytedance/seedance-1.5-pro", {**PROMPT, "aspect_ratio": "1:1", "duration": 8, "resolution": "1080p",
                                    "generate_audio": True}, "120"),  # 15 cr per second
    ("bytedance/seedance-1.5-pro", {**PROMPT, "aspect_ratio": "1:1", "duration": "5"}, "17.5"),  # 720p, no audio
    ("kling-2.6/text-to-video", {**PROMPT, "aspect_ratio": "1:1", "duration": "10", "sound": True}, "220"),
    ("kling-2.6/text-to-video", {**PROMPT, "aspect_ratio": "1:1", "duration": "5", "sound": False}, "55"),
    ("wan/2-6-text-to-video", PROMPT, "104.5"),  # KIE's defaults: 5 s, 1080p
    ("wan/2-6-text-to-video", {**PROMPT, "duration": "15", "resolution": "720p"}, "210"),
    ("wan/2-5-text-to-video", {**PROMPT, "duration": "10"}, "200"),  # no documented default: the dearest
    ("hailuo/2-3-image-to-video-standard", None, "50"),
    ("grok-imagine/text-to-video", {**PROMPT, "aspect_ratio": "1:1", "mode": "normal", "resolution": "720p",
                                    "duration": 10}, "30"),
    ("grok-imagine/text-to-video", {**PROMPT, "aspect_ratio": "1:1", "mode": "normal", "resolution": "480p"},
     "9.6"),  # no duration: the 6 s clip
    ("grok-imagine/text-to-image", {**PROMPT, "enable_pro": True}, "5"),
    ("grok-imagine/text-to-image", PROMPT, "4"),
    ("sora-2-text-to-video", {**PROMPT, "n_frames": "15"}, "25"),
    ("nano-banana-pro", {**PROMPT, "resolution": "4K"}, "24"),
    ("elevenlabs/text-to-speech-turbo-2-5", {"text": "x" * 250, "voice": JAMES}, "1.5"),  # 6 cr per 1000
    ("elevenlabs/sound-effect-v2", {"text": "rain", "duration_seconds": 4.2}, "1.2"),  # 5 started seconds
    ("elevenlabs/sound-effect-v2", {"text": "rain"}, "0.24"),  # the generated clip: 1 s here
    ("wan/2-2-a14b-speech-to-video-turbo", None, "192"),  # 120 frames / 16 fps = 7.5 -> 8 s at 24 cr
    ("veo-3-1", PROMPT, "60"),  # KIE's defaults: Fast, 720p
    ("veo-3-1", {**PROMPT, "model": "veo3_lite", "resolution": "4k", "duration": 4}, "150"),  # any length
    ("veo-3-1", {**PROMPT, "model": "veo3", "resolution": "1080p"}, "255"),
    ("kling-3.0/video", {**PROMPT, "sound": True, "duration": "12", "aspect_ratio": "9:16", "mode": "pro",
                         "multi_shots": False}, "324"),  # 27 cr per second
    ("kling-3.0/video", {**PROMPT, "sound": False, "duration": "3", "aspect_ratio": "1:1", "mode": "std",
                         "multi_shots": False}, "42"),
    ("kling/v3-turbo-text-to-video", {**PROMPT, "duration": "15", "aspect_ratio": "1:1", "resolution": "1080p"},
     "337.5"),
    ("nano-banana-2", {**PROMPT, "resolution": "2K"}, "12"),
    ("nano-banana-2", PROMPT, "8"),  # 1K by default
    ("seedream/5-lite-text-to-image", {**PROMPT, "aspect_ratio": "1:1", "quality": "high"}, "5.5"),
    ("gpt-image-2-text-to-image", {**PROMPT, "resolution": "4K"}, "16"),
    ("gpt-image-2-text-to-image", PROMPT, "16"),  # no documented default: the dearest
    ("ai-music-api/generate", {**PROMPT, "custom_mode": False, "instrumental": True, "model": "V6_MINI"}, "12"),
])
def test_task_is_billed_from_kie_price_table(client, model, payload, credits):
    if payload is None:
        image = upload(client, media_samples.png(640, 480), "face.png", "image/png")
        audio = upload(client, media_samples.mp3(3), "speech.mp3", "audio/mpeg")
        payload = {"hailuo/2-3-image-to-video-standard": {**PROMPT, "image_url": image, "duration": "10"},
                   "wan/2-2-a14b-speech-to-video-turbo": {**PROMPT, "image_url": image, "audio_url": audio,
                                                          "num_frames": 120, "frames_per_second": 16,
                                                          "resolution": "720p"}}[model]

    entry = billed(client, model, payload)

    assert entry["priceCredits"] == credits
    assert Decimal(entry["priceUsd"]) == Decimal(credits) * Decimal("0.005")
    assert entry["model"] == model and entry["job"] == "J1" and entry["callBackUrl"].endswith("?job=J1")


@pytest.mark.parametrize("make, credits", [
    (lambda: media_samples.mp3(7), "1.4"),  # 0.2 cr per second
    (lambda: media_samples.ogg_opus(2.5), "0.6"),  # per started second
    (lambda: media_samples.mp4(3, True), "0.6"),  # AAC priming (3.02 s) is not a started second
    (lambda: media_samples.mp3_claiming(12, 1), "2.4"),  # the header says 1 s: 12 s are decoded and billed
])
def test_audio_is_billed_by_its_decoded_length(client, make, credits):
    url = upload(client, make(), "voice.bin", "application/octet-stream")  # neither name nor type counts

    entry = billed(client, "elevenlabs/audio-isolation", {"audio_url": url})

    assert entry["priceCredits"] == credits
    assert entry["inputs"]["files"][0]["kind"] in ("audio", "video")


@pytest.mark.parametrize("factor, credits", [("2", "10"), ("4", "20"), ("8", "40")])
def test_upscale_is_billed_by_the_output_long_side(client, factor, credits):
    url = upload(client, media_samples.png(640, 480), "small.png", "image/png")  # 640 px: x4 = 2560 (4K)

    entry = billed(client, "topaz/image-upscale", {"image_url": url, "upscale_factor": factor})

    assert entry["priceCredits"] == credits
    assert entry["inputs"]["files"][0]["width"] == 640 and entry["inputs"]["files"][0]["height"] == 480


def test_ledger_records_what_was_measured(client):
    data = media_samples.jpeg(300, 200, "edit me")
    url = upload(client, data, "image.jpg", "image/jpeg")

    entry = billed(client, "google/nano-banana-edit", {"prompt": "make it blue", "image_urls": [url, url]})

    files = entry["inputs"]["files"]
    assert [(f["field"], f["index"], f["kind"], f["width"], f["height"]) for f in files] == [
        ("image_urls", 0, "image", 300, 200), ("image_urls", 1, "image", 300, 200)]
    assert files[0]["sha256"] == hashlib.sha256(data).hexdigest() and files[0]["bytes"] == len(data)
    assert entry["inputs"]["texts"] == {"prompt": len("make it blue")}
    assert entry["priceCredits"] == "4" and entry["basis"] == "credits"


def test_failed_task_is_not_billed(client):
    client.post("/sim/outcomes", json={"outcomes": ["fail"]})
    task_id = create(client, "google/imagen4-ultra", PROMPT)["data"]["taskId"]
    held = ledger_entry(client, task_id)

    wait_terminal(client, task_id)

    done = ledger_entry(client, task_id)
    assert held["billedCredits"] == "12" and held["state"] in ("waiting", "generating")
    assert done["state"] == "fail" and done["billedUsd"] == "0" and done["priceUsd"] == "0.06"
    assert client.get("/api/v1/chat/credit").json()["data"] == 10000


def test_balance_follows_the_bill(client):
    url = upload(client, media_samples.mp3(10), "a.mp3", "audio/mpeg")
    task_id = create(client, "elevenlabs/audio-isolation", {"audio_url": url})["data"]["taskId"]

    data = wait_terminal(client, task_id)

    assert data["consumeCredits"] == 2 and data["remainedCredits"] == 9998


@pytest.mark.parametrize("make_url, problem", [
    (lambda client, base: f"{base}/tempfile/samples/missing.mp3", "no such file"),
    (lambda client, base: upload(client, media_samples.png(64, 64), "fake.mp3", "audio/mpeg"), "not audio"),
])
def test_a_billed_input_that_cannot_be_read_is_refused(sim, client, make_url, problem):
    answer = create(client, "elevenlabs/audio-isolation", {"audio_url": make_url(client, sim.base_url)})

    assert answer["code"] == 422 and "audio_url: the file could not be read" in answer["msg"]
    assert problem in answer["msg"]
    assert client.get("/sim/ledger").json()["tasks"] == []


def test_every_model_of_the_reference_has_a_price_reading(client):
    samples = upload_samples(client)
    for model, spec in MODELS.items():
        entry = billed(client, model, minimal_input(spec, samples))
        assert Decimal(entry["priceCredits"]) > 0, model


def test_inputs_on_the_internet_are_not_fetched(client):
    entry = billed(client, "sora-watermark-remover", {"video_url": "https://sora.chatgpt.com/p/s_1"})

    assert entry["inputs"]["files"] == [{"field": "video_url", "index": 0, "url": "https://sora.chatgpt.com/p/s_1",
                                         "error": "external URL: not fetched by the simulator"}]
    assert entry["priceCredits"] == "10"  # billed per video, whatever it holds


def test_inputs_on_this_machine_are_fetched_and_measured(client):
    audio = media_samples.mp3(4)

    class Files(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        entry = billed(client, "elevenlabs/audio-isolation",
                       {"audio_url": f"http://127.0.0.1:{server.server_port}/voice.mp3"})
    finally:
        server.shutdown()
        server.server_close()

    assert entry["priceCredits"] == "0.8" and entry["inputs"]["files"][0]["seconds"] == 4.0


# --- the 2026 models ------------------------------------------------------------------------

@pytest.mark.parametrize("model, payload, msg", [
    ("veo-3-1", {**PROMPT, "generation_type": "TEXT_2_VIDEO", "image_urls": ["https://a/1.png"]}, "takes no images"),
    ("veo-3-1", {**PROMPT, "generation_type": "FIRST_AND_LAST_FRAMES_2_VIDEO"}, "takes 1 or 2 images"),
    ("veo-3-1", {**PROMPT, "model": "veo3", "generation_type": "REFERENCE_2_VIDEO", "image_urls": ["https://a/1.png"]},
     "supported by veo3_fast and veo3_lite"),
    ("veo-3-1", {**PROMPT, "generation_type": "REFERENCE_2_VIDEO", "image_urls": ["https://a/1.png"], "duration": 6},
     "only 8 s"),
    ("veo-3-1", {**PROMPT, "duration": 5}, "duration is invalid: must be one of 4, 6, 8"),
    ("veo-3-1", {**PROMPT, "duration": "8"}, "duration is invalid: must be an integer"),
    ("gpt-image-2-image-to-image", {**PROMPT, "input_urls": ["https://a/1.png"], "resolution": "2K"},
     "aspect_ratio auto is not supported at resolution 2K"),
    ("gpt-image-2-text-to-image", {**PROMPT, "aspect_ratio": "9:21", "resolution": "4K"}, "not supported"),
    ("ai-music-api/generate", {**PROMPT, "custom_mode": True, "instrumental": False, "model": "V6"},
     "style is required when custom_mode is true"),
    ("ai-music-api/generate", {"prompt": "x" * 501, "custom_mode": False, "instrumental": False, "model": "V6"},
     "at most 500 characters"),
    ("ai-music-api/generate", {**PROMPT, "custom_mode": False, "instrumental": False, "model": "V5"},
     "model is invalid: must be one of V6, V6_WILD, V6_MINI"),
    ("kling/v3-turbo-text-to-video", {**PROMPT, "duration": "16", "aspect_ratio": "1:1", "resolution": "720p"},
     "duration is invalid"),
    ("elevenlabs/text-to-speech-multilingual-v2", {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX",
                                                   "language_code": "ru"}, "language_code is not supported"),
    ("elevenlabs/text-to-speech-turbo-2-5", {"text": "hi", "voice": "Rachel"}, "voice is invalid"),
])
def test_what_the_2026_docs_refuse_is_422(client, model, payload, msg):
    answer = create(client, model, payload)

    assert answer["code"] == 422 and msg in answer["msg"], answer


def test_veo_references_and_turbo_language_are_accepted(client):
    photo = upload(client, media_samples.png(64, 64), "ref.png", "image/png")
    references = {**PROMPT, "model": "veo3_lite", "generation_type": "REFERENCE_2_VIDEO", "image_urls": [photo] * 3}
    assert create(client, "veo-3-1", references)["code"] == 200
    turbo = {"text": "привет", "voice": "EkK5I93UQWFDigLMpZcX", "language_code": "ru"}
    assert create(client, "elevenlabs/text-to-speech-turbo-2-5", turbo)["code"] == 200


def test_veo_video_carries_sound_and_the_legacy_ids_are_not_createtask_models(client):
    data = wait_terminal(client, create(client, "veo-3-1", PROMPT)["data"]["taskId"])
    url = json.loads(data["resultJson"])["resultUrls"][0]
    assert url.endswith(".mp4") and data["successFlag"] == 1
    assert create(client, "veo3_fast", PROMPT)["code"] == 422, "the legacy /veo/generate model id"
    assert create(client, "suno-api/generate-music", PROMPT)["code"] == 422


SUNO = {"prompt": "la la la", "custom_mode": True, "instrumental": False, "model": "V6", "style": "synthwave",
        "title": "Night drive"}


def test_suno_returns_two_takes_in_data_audio_url_with_three_callbacks(sim, client, receiver):
    sim.configure(latency_ms=400)
    task_id = create(client, "ai-music-api/generate", SUNO, callBackUrl=receiver.url)["data"]["taskId"]

    data = wait_terminal(client, task_id)
    wait_until(lambda: len(receiver.received) >= 3)

    result = json.loads(data["resultJson"])
    assert "resultUrls" not in result and len(result["data"]) == 2
    urls = [take["audio_url"] for take in result["data"]]
    assert len(set(urls)) == 2 and all(httpx.get(u).headers["content-type"] == "audio/mpeg" for u in urls)
    assert result["data"][0]["title"] == "Night drive" and result["data"][0]["model_name"] == "V6"
    bodies = [body for _, body in receiver.received]
    assert [b["data"]["callbackType"] for b in bodies] == ["text", "first", "complete"]
    assert all(b["data"]["task_id"] == task_id and "taskId" not in b["data"] for b in bodies)
    text, first, complete = (b["data"]["data"] for b in bodies)
    assert [t["audio_url"] for t in text] == ["", ""]
    assert first[0]["audio_url"] == urls[0] and first[1]["audio_url"] == ""
    assert [t["audio_url"] for t in complete] == urls
    headers = receiver.received[-1][0]
    assert headers["X-Webhook-Signature"] == sign_webhook(HMAC_KEY, task_id, headers["X-Webhook-Timestamp"])
    assert client.get("/sim/ledger").json()["tasks"][0]["priceUsd"] == "0.06", "one price for both takes"


def test_a_failed_suno_task_calls_back_once_with_an_error(sim, client, receiver):
    sim.configure(latency_ms=400)
    client.post("/sim/outcomes", json={"outcomes": ["fail"]})
    task_id = create(client, "ai-music-api/generate", SUNO, callBackUrl=receiver.url)["data"]["taskId"]

    wait_terminal(client, task_id)
    wait_until(lambda: any(b["data"]["callbackType"] == "error" for _, b in receiver.received))

    last = receiver.received[-1][1]
    assert last["code"] == 501 and last["data"] == {"callbackType": "error", "task_id": task_id, "data": None}


def test_record_reports_the_cost_and_the_time_in_milliseconds(sim, client):
    sim.configure(latency_ms=300)
    data = wait_terminal(client, create(client, "nano-banana-2", {**PROMPT, "resolution": "4K"})["data"]["taskId"])

    assert data["creditsConsumed"] == data["consumeCredits"] == 18
    assert 250 <= data["costTime"] <= 5000 and data["costTime"] == data["completeTime"] - data["createTime"]


# --- the edge: content type, user agent ------------------------------------------------------

def test_a_call_without_json_content_type_is_401_gets_included(sim):
    auth = {"Authorization": f"Bearer {API_KEY}", "User-Agent": "test"}
    bare = httpx.get(f"{sim.base_url}/api/v1/chat/credit", headers=auth).json()
    typed = httpx.get(f"{sim.base_url}/api/v1/chat/credit", headers={**auth, "Content-Type": "application/json"})

    assert bare == {"code": 401, "msg": "You do not have access permissions", "data": None}
    assert typed.json()["code"] == 200


def test_urllib_default_user_agent_is_refused_at_the_edge(sim):
    import urllib.request

    request = urllib.request.Request(f"{sim.base_url}/api/v1/chat/credit",
                                     headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)

    assert err.value.code == 403 and err.value.read() == b"error code: 1010"


def test_an_upload_can_succeed_without_naming_its_file(sim, client):
    sim.configure(upload_without_url=True)
    answer = client.post("/api/file-stream-upload", files={"file": ("a.png", b"x", "image/png")},
                         data={"uploadPath": "u"}).json()

    assert answer["success"] is True and "downloadUrl" not in answer["data"] and "fileUrl" not in answer["data"]


# --- model discovery and the price feed ------------------------------------------------------

@pytest.fixture
def unlimited(sim):
    sim.configure(discovery_rps=0)


def models_list(client, **params):
    return client.get("/api/v1/models", params=params).json()


def test_the_model_list_has_the_listed_models_only(client, unlimited):
    answer = models_list(client)

    listed = {m["model"] for m in answer["data"]["models"]}
    assert answer["code"] == 200 and answer["data"]["total"] == len(listed)
    assert {"veo-3-1", "ai-music-api/generate", "kling-3.0/video", "nano-banana-2", "gpt-image-2-text-to-image",
            "kling/ai-avatar-pro"} <= listed
    assert not listed & {"sora-2-text-to-video", "sora-watermark-remover", "elevenlabs/sound-effect-v2",
                         "kling/ai-avatar-v1-pro", "veo3_fast", "suno-api/generate-music"}
    row = next(m for m in answer["data"]["models"] if m["model"] == "kling-3.0/video")
    assert set(row) == {"model", "slug", "title", "provider", "taskType", "description", "pricingDesc"}
    assert row["provider"] == "kling" and "text-to-video" in row["taskType"] and "0.135" in row["pricingDesc"]


def test_the_model_list_filters_by_query_provider_and_task_type(client, unlimited):
    assert {m["model"] for m in models_list(client, q="veo")["data"]["models"]} == {"veo-3-1"}
    kling = models_list(client, provider="kling")["data"]["models"]
    assert kling and all(m["provider"] == "kling" for m in kling)
    audio = {m["model"] for m in models_list(client, taskType="text-to-audio")["data"]["models"]}
    assert "ai-music-api/generate" in audio and "z-image" not in audio


def test_schema_is_an_openapi_document_of_the_create_request(client, unlimited):
    answer = client.get("/api/v1/models/kling-3.0/video/schema").json()

    doc = answer["data"]["openapi"]
    assert answer["data"]["model"] == "kling-3.0/video" and doc["openapi"].startswith("3.1")
    body = doc["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreateTaskRequest"}
    request_schema = doc["components"]["schemas"]["CreateTaskRequest"]
    assert request_schema["properties"]["input"] == {"$ref": "#/components/schemas/Input"}
    fields = doc["components"]["schemas"]["Input"]
    assert fields["properties"]["duration"]["enum"] == [str(s) for s in range(3, 16)]
    assert fields["properties"]["mode"]["enum"] == ["std", "pro", "4K"]
    assert set(fields["required"]) == {"prompt", "sound", "duration", "aspect_ratio", "mode", "multi_shots"}


def test_price_and_success_rate_of_a_model(client, unlimited):
    task_id = create(client, "z-image", {**PROMPT, "aspect_ratio": "1:1"})["data"]["taskId"]
    wait_terminal(client, task_id)

    price = client.get("/api/v1/models/nano-banana-2/price").json()["data"]
    buckets = client.get("/api/v1/models/z-image/success-rate").json()["data"]["buckets"]

    assert price["model"] == "nano-banana-2" and "1K 8 credits ($0.04)" in price["pricingDesc"]
    assert len(buckets) == 144 and all(b["endTime"] - b["startTime"] == 600_000 for b in buckets)
    assert buckets[-1]["total"] == 1 and buckets[-1]["successRate"] == 1.0 and buckets[-1]["isNormal"] is True
    assert client.get("/api/v1/models/midjourney/price").json()["code"] == 404


def test_discovery_calls_share_one_request_per_second(client):
    first = models_list(client)
    second = client.get("/api/v1/models/z-image/price").json()
    time.sleep(1.05)
    third = client.get("/api/v1/models/z-image/success-rate")

    assert first["code"] == 200 and second == {"code": 429, "msg": FAULT_429, "data": None}
    assert third.status_code == 200 and third.json()["code"] == 200


FAULT_429 = "Request rate limit exceeded. Please try again later."


def test_the_public_price_feed_needs_no_key_and_names_no_model_id(sim):
    feed = httpx.post(f"{sim.base_url}/client/v1/model-pricing/page", headers={"User-Agent": "test"},
                      json={"pageNum": 1, "pageSize": 100, "modelDescription": "kling 3.0"}).json()

    rows = feed["data"]["list"]
    assert feed["code"] == 200 and feed["data"]["total"] == len(rows) == 6
    assert {"modelDescription", "creditPrice", "creditUnit", "usdPrice", "interfaceType", "provider"} == set(rows[0])
    assert any(r["modelDescription"] == "Kling 3.0 Video, video, std_720p_audio" and r["usdPrice"] == 0.1 for r in rows)
    assert all("kling-3.0/video" not in r["modelDescription"] for r in rows)
    page = httpx.post(f"{sim.base_url}/client/v1/model-pricing/page", headers={"User-Agent": "test"},
                      json={"pageNum": 2, "pageSize": 5}).json()["data"]
    assert len(page["list"]) == 5 and page["total"] > 100
    too_big = httpx.post(f"{sim.base_url}/client/v1/model-pricing/page", headers={"User-Agent": "test"},
                         json={"pageSize": 101}).json()
    assert too_big["code"] == 422


# --- drift: the provider's catalog moves on ----------------------------------------------------

def test_a_removed_model_leaves_the_list_and_refuses_tasks(client, unlimited):
    assert client.post("/sim/drift", json={"removed": ["z-image"]}).status_code == 200

    assert "z-image" not in {m["model"] for m in models_list(client)["data"]["models"]}
    assert client.get("/api/v1/models/z-image/schema").json()["code"] == 404
    assert create(client, "z-image", {**PROMPT, "aspect_ratio": "1:1"})["msg"] == \
        "The page does not exist or is not published"
    client.post("/sim/reset")
    assert create(client, "z-image", {**PROMPT, "aspect_ratio": "1:1"})["code"] == 200


def test_a_renamed_field_shows_in_the_schema_and_the_old_name_is_refused(client, unlimited):
    client.post("/sim/drift", json={"renamed": {"kling/v3-turbo-text-to-video": {"duration": "clip_seconds"}}})
    fields = client.get("/api/v1/models/kling/v3-turbo-text-to-video/schema").json()["data"]["openapi"]
    properties = fields["components"]["schemas"]["Input"]["properties"]
    assert "clip_seconds" in properties and "duration" not in properties

    old = {**PROMPT, "duration": "5", "aspect_ratio": "1:1", "resolution": "720p"}
    assert create(client, "kling/v3-turbo-text-to-video", old)["msg"] == \
        "duration is not a supported input parameter for this model"
    new = {**PROMPT, "clip_seconds": "5", "aspect_ratio": "1:1", "resolution": "720p"}
    entry = billed(client, "kling/v3-turbo-text-to-video", new)
    assert entry["priceCredits"] == "90", "still billed by its length: 5 s at 18 cr"


def test_a_changed_price_is_billed_and_published(client, unlimited):
    client.post("/sim/drift", json={"prices": {"nano-banana-2": {"1K": 10}}})

    assert billed(client, "nano-banana-2", PROMPT)["priceCredits"] == "10"
    assert "1K 10 credits ($0.05)" in client.get("/api/v1/models/nano-banana-2/price").json()["data"]["pricingDesc"]
    feed = client.post("/client/v1/model-pricing/page", json={"pageSize": 100, "modelDescription": "nano banana 2"})
    row = feed.json()["data"]["list"][0]
    assert (row["modelDescription"], row["creditPrice"], row["usdPrice"]) == ("Nano Banana 2, image, 1K", 10, 0.05)


def test_a_degraded_model_fails_as_often_as_its_success_rate_says(client, unlimited):
    client.post("/sim/drift", json={"success_rates": {"z-image": 0.0}})

    buckets = client.get("/api/v1/models/z-image/success-rate").json()["data"]["buckets"]
    data = wait_terminal(client, create(client, "z-image", {**PROMPT, "aspect_ratio": "1:1"})["data"]["taskId"])

    assert all(b["successRate"] == 0.0 and b["errorRate"] == 1.0 and not b["isNormal"] for b in buckets)
    assert data["state"] == "fail"


@pytest.mark.parametrize("drift, error", [
    ({"removed": ["midjourney"]}, "unknown models: midjourney"),
    ({"renamed": {"z-image": {"colour": "color"}}}, "renamed names unknown fields"),
    ({"prices": {"z-image": {"4K": 1}}}, "no such price keys"),
    ({"success_rates": {"z-image": 2}}, "between 0 and 1"),
    ({"weather": {}}, "unknown drift switch"),
])
def test_drift_switches_refuse_what_does_not_fit(client, drift, error):
    answer = client.post("/sim/drift", json=drift)

    assert answer.status_code == 400 and error in answer.json()["error"]
