"""JSON log lines in Cloud Logging's format (severity, message, plus context fields)."""
from __future__ import annotations

import json
import logging
import sys

CONTEXT_FIELDS = ("request_id", "job_id", "user", "model_id", "update_id", "task_id", "error_code")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"severity": record.levelname, "message": record.getMessage(), "logger": record.name}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def mask_user(user_id: int | None) -> str | None:
    """Logs carry a masked user id: enough to correlate, not to identify."""
    if user_id is None:
        return None
    text = str(user_id)
    return "*" * max(0, len(text) - 4) + text[-4:]


def setup(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram", "google", "grpc", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
