"""JSON log lines in Cloud Logging's format (severity, message, plus context fields).

Logs never carry secrets: every line is scrubbed of the configured secret values (bot token, webhook
secret, KIE key, HMAC key: `setup(secrets=...)`), of anything shaped like a bot token, and of
`bot<token>` in Bot API URLs, even when a library puts them in an error message or a stack trace.
User ids are logged only through mask_user(); user document paths in error messages are masked too."""
from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable

CONTEXT_FIELDS = ("request_id", "job_id", "user", "model_id", "update_id", "task_id", "error_code")
REDACTED = "<redacted>"
MIN_SECRET_LEN = 6  # a shorter configured value would blank out ordinary words
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")  # the shape of a real bot token
BOT_URL_PATH = re.compile(r"(/(?:file/)?bot)\d+:[^/\s\"'?#]+")  # .../bot<token>/method, .../file/bot<token>/...
USER_DOC = re.compile(r"\b(users/|free_usage/)(\d+)")  # Firestore paths in error messages name the user

_secrets: list[str] = []
_secrets_lock = threading.Lock()


def add_secrets(values: Iterable[str | None]) -> None:
    """Values that must never appear in a log line (empty and very short values are ignored)."""
    global _secrets
    with _secrets_lock:
        found = set(_secrets) | {v for v in values if v and len(v) >= MIN_SECRET_LEN}
        _secrets = sorted(found, key=len, reverse=True)  # the longest first: a secret containing another


def scrub(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = BOT_URL_PATH.sub(r"\1" + REDACTED, text)
    text = USER_DOC.sub(lambda m: m.group(1) + (mask_user(int(m.group(2))) or ""), text)
    return BOT_TOKEN.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"severity": record.levelname, "message": scrub(record.getMessage()), "logger": record.name}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["stack_trace"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def mask_user(user_id: int | None) -> str | None:
    """Logs carry a masked user id: enough to correlate, not to identify."""
    if user_id is None:
        return None
    text = str(user_id)
    return "*" * max(0, len(text) - 4) + text[-4:]


def setup(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    add_secrets(secrets)
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram", "google", "grpc", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
