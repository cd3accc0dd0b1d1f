"""Callback delivery the way KIE does it: JSON POST, optional HMAC headers, 15 s timeout."""
import base64
import hashlib
import hmac
import time

import httpx

CALLBACK_TIMEOUT_S = 15


def sign(key, task_id, timestamp):
    """base64(HMAC-SHA256(key, taskId + "." + timestamp)); only the id and time are signed."""
    message = f"{task_id}.{timestamp}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_headers(key, task_id):
    timestamp = str(int(time.time()))
    return {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(key, task_id, timestamp)}


def deliver(url, payload, hmac_key=""):
    """POST one callback; returns a record of the attempt (never raises)."""
    task_id = payload["data"].get("taskId") or payload["data"]["task_id"]  # Suno's callbacks say task_id
    headers = signed_headers(hmac_key, task_id) if hmac_key else {}
    attempt = {"url": url, "taskId": task_id, "body": payload,
               "headers": headers, "status": None, "error": "", "sentAt": int(time.time() * 1000)}
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=CALLBACK_TIMEOUT_S)
        attempt["status"] = response.status_code
    except httpx.HTTPError as exc:
        attempt["error"] = f"{type(exc).__name__}: {exc}"
    return attempt
