"""The four targets through functions-framework's test client, against the stack's emulators."""
from __future__ import annotations

import functions_framework
import pytest

from infra.stack import TELEGRAM_WEBHOOK_SECRET
from tests.conftest import run


@pytest.fixture
def client_for(clean_stack):
    def make(target):
        return functions_framework.create_app(target, "main.py").test_client()

    return make


def test_health_check_reads_firestore(client_for):
    response = client_for("telegram_webhook").get("/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["models"] == 51 and body["free_tier"][0] == "z-image"


def test_webhook_rejects_missing_secret_and_bad_body(client_for, db):
    client = client_for("telegram_webhook")
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                                          "chat": {"id": 9, "type": "private"}, "from": {"id": 9, "is_bot": False, "first_name": "a"}}}
    assert client.post("/", json=update).status_code == 401
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
    assert client.post("/", data="not json", headers=headers).status_code == 400
    assert run(db.users.get(9)) is None


def test_free_tier_refresh_writes_the_tier_and_keeps_the_previous(client_for, db):
    client = client_for("free_tier_refresh")
    first = client.post("/").get_json()
    assert first["model_ids"] == ["z-image", "recraft/remove-background", "google/imagen4-fast",
                                  "google/nano-banana", "google/nano-banana-edit"]
    stored = run(db.system.stored_free_tier())
    assert stored["model_ids"] == first["model_ids"] and stored["source"] == "computed"
    assert client.post("/").get_json()["model_ids"] == first["model_ids"], "running twice is harmless"


def test_worker_ignores_malformed_and_unknown_tasks(client_for):
    client = client_for("generation_worker")
    assert client.post("/", json={"nonsense": True}).status_code == 200
    for kind in ("start", "poll"):  # a task for a job that does not exist ends; it is not retried forever
        assert client.post("/", json={"kind": kind, "job_id": "no-such-job", "attempt": 1}).status_code == 200
    assert client.get("/").status_code == 405


def test_callback_requires_a_valid_signature(client_for):
    client = client_for("kie_callback")
    body = {"code": 200, "data": {"taskId": "abc", "state": "success", "resultJson": "{}"}}
    assert client.post("/", json=body).status_code == 401
    headers = {"X-Webhook-Timestamp": "1", "X-Webhook-Signature": "bad"}
    assert client.post("/", json=body, headers=headers).status_code == 401
    assert client.post("/", json={"no": "data"}).status_code == 400
