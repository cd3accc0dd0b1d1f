"""Errors in Telegram's wire format."""


class ApiError(Exception):
    """A Bot API failure: HTTP status == error_code, as Telegram does."""

    def __init__(self, code, description, retry_after=None, applied=False, delay_ms=0):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.applied = applied  # injected: the call takes effect, only its answer is this error
        self.delay_ms = delay_ms  # injected: wait this long before answering (a slow or timed-out call)

    def body(self):
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text):
    return ApiError(400, f"Bad Request: {text}")


class ControlError(Exception):
    """A /sim/ control API failure (not part of Telegram's API)."""

    def __init__(self, code, error):
        super().__init__(error)
        self.code = code
        self.error = error
