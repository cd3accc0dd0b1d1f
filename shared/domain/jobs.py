"""The generation job: its states, the allowed moves between them, and error classes."""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobState(StrEnum):
    AWAITING_INPUT = "awaiting_input"
    CONFIRMED = "confirmed"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ended before anything was charged
    REFUNDED = "refunded"  # ended after a charge, which was given back in the same transaction
    CANCELLED = "cancelled"


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.REFUNDED, JobState.CANCELLED})

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.AWAITING_INPUT: frozenset({JobState.CONFIRMED, JobState.CANCELLED}),
    JobState.CONFIRMED: frozenset({JobState.QUEUED, JobState.FAILED, JobState.CANCELLED}),
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.FAILED, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.REFUNDED}),
}


class IllegalTransition(RuntimeError):
    pass


def can_move(current: JobState | str, target: JobState | str) -> bool:
    return JobState(target) in TRANSITIONS.get(JobState(current), frozenset())


def check_move(current: JobState | str, target: JobState | str) -> None:
    if not can_move(current, target):
        raise IllegalTransition(f"{current} -> {target}")


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    FREE_LIMIT_REACHED = "FREE_LIMIT_REACHED"
    PROVIDER_REJECTED = "PROVIDER_REJECTED"
    PROVIDER_RATE_LIMITED = "PROVIDER_RATE_LIMITED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    GENERATION_FAILED = "GENERATION_FAILED"
    TIMEOUT = "TIMEOUT"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    INTERNAL = "INTERNAL"


def classify_kie_code(code: int) -> ErrorCode:
    """Map a KIE envelope/HTTP code to our error class."""
    if code == 429 or code == 433:
        return ErrorCode.PROVIDER_RATE_LIMITED
    if code == 455 or code >= 500 and code != 501 or code == 402:
        # 402 is *our* KIE account running dry: the provider is unavailable to the user.
        return ErrorCode.PROVIDER_UNAVAILABLE
    if code == 501:
        return ErrorCode.GENERATION_FAILED
    if 400 <= code < 500:
        return ErrorCode.PROVIDER_REJECTED
    return ErrorCode.INTERNAL


RETRYABLE = frozenset({ErrorCode.PROVIDER_RATE_LIMITED, ErrorCode.PROVIDER_UNAVAILABLE})


def new_request_id() -> str:
    """The code users quote to support: RQ- and 8 hex digits."""
    return "RQ-" + secrets.token_hex(4)


def new_job_id() -> str:
    return secrets.token_hex(8)


class Job(BaseModel):
    """A generation job as stored in Firestore `jobs/{id}` (plain fields, readable in the console)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    user_id: int
    chat_id: int
    lang: str = "ru"
    model_id: str
    state: JobState = JobState.AWAITING_INPUT
    inputs: dict[str, Any] = {}
    media: dict[str, list[dict[str, Any]]] = {}  # per media field: size, mime, duration_s, width, height
    media_groups: list[str] = []  # Telegram albums already acknowledged
    skipped: list[str] = []
    editing: str | None = None  # the option being changed on the confirmation screen
    revision: int = 0  # bumped by every change of a draft; a confirm button names the revision it priced
    price_kopecks: int = 0
    is_free: bool = False
    charged_kopecks: int = 0
    free_day: str | None = None
    request_id: str | None = None
    kie_task_id: str | None = None
    result_urls: list[str] = []
    error_code: str | None = None
    error_message: str | None = None
    screen_message_id: int | None = None
    status_message_id: int | None = None
    poll_attempt: int = 0
    lease_until: datetime | None = None
    delivered_at: datetime | None = None
    delivery_until: datetime | None = None  # while someone delivers the result; another waits until it passes
    delivery_attempts: int = 0
    delivered_files: list[dict[str, str]] = []
    smoke_run: str | None = None  # an admin smoke test: charged to nobody  # Telegram file ids of the result: history re-sends them free
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    history: list[dict[str, Any]] = []

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL
