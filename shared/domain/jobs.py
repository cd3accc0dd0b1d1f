"""The generation job: its states, the allowed moves between them, and error classes."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.logs import mask_user


class JobState(StrEnum):
    AWAITING_INPUT = "awaiting_input"
    CONFIRMED = "confirmed"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ended before anything was charged
    REFUNDED = "refunded"  # ended after a charge, which was given back in the same transaction
    CANCELLED = "cancelled"


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.REFUNDED, JobState.CANCELLED})

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.AWAITING_INPUT: frozenset({JobState.CONFIRMED, JobState.CANCELLED}),
    JobState.CONFIRMED: frozenset({JobState.RUNNING, JobState.FAILED, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.REFUNDED}),
    # A result that could not be delivered after the last attempt is refunded (never neither).
    JobState.SUCCEEDED: frozenset({JobState.REFUNDED}),
}
DELIVERY_ATTEMPTS = 5  # sends of one result before it is refunded
# Result URLs "typically expire after 24 hours" (the provider keeps the files 14 days, but under new URLs):
# /history re-sends from the stored URLs only this long after the job finished, a margin under the 24 h.
RESULT_URLS_VALID = timedelta(hours=20)


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
    # Our provider account was refused (key invalid 401, key usage cap 433, feature disabled 505): our
    # outage, not the user's request. Refunded with a neutral reason; admins are alerted.
    PROVIDER_ACCESS = "PROVIDER_ACCESS"
    MAINTENANCE = "MAINTENANCE"  # maintenance mode began between confirmation and start: nothing charged
    MODEL_DISABLED = "MODEL_DISABLED"  # the model was switched off after confirmation: nothing charged


def classify_kie_code(code: int) -> ErrorCode:
    """Map a KIE envelope/HTTP code to our error class."""
    if code in (401, 433, 505):
        return ErrorCode.PROVIDER_ACCESS
    if code == 429:
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
    album_counters: dict[str, int] = {}  # per album: its "files received" message, edited as its parts arrive
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
    lease_until: datetime | None = None
    submitted_at: datetime | None = None  # the worker began createTask: never submitted again (see `start`)
    submit_attempts: int = 0  # createTask answered 429 this many times (nothing submitted): started again later
    credits_consumed: float | None = None  # what the provider billed for the task (its creditsConsumed)
    cost_time_ms: int | None = None  # the provider's processing time for the task (its costTime)
    delivered_at: datetime | None = None
    delivery_until: datetime | None = None  # while someone delivers the result; another waits until it passes
    delivery_attempts: int = 0
    delivered_files: list[dict[str, str]] = []
    smoke_run: str | None = None  # an admin smoke test: charged to nobody
    unsettled: bool = False  # still needs something (start, result, delivery, refund, telling the user): swept
    notice_attempts: int = 0  # re-sends of the final notice by the sweep
    review: str | None = None  # why admins should look at it (see REVIEW_*)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    history: list[dict[str, Any]] = []

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def log_context(self) -> dict[str, Any]:
        """The fields a log line about this job carries (the user masked)."""
        return {"job_id": self.id, "request_id": self.request_id, "user": mask_user(self.user_id),
                "model_id": self.model_id}

    def duration_ms(self, now: datetime) -> int | None:
        """From the start to the end (or to `now`, while it runs)."""
        if self.started_at is None:
            return None
        return int(((self.finished_at or now) - self.started_at).total_seconds() * 1000)


class Started(StrEnum):
    """How the worker's charge transaction left a job."""

    STARTED = "started"  # charged (or a free use taken): submit it now
    MISSING = "missing"  # no such job
    NOT_PENDING = "not_pending"  # not confirmed any more: a duplicate task
    BUSY = "busy"  # another worker holds the submission lease: come back later
    SUBMITTED = "submitted"  # submitted before: never again (its callback or the deadline ends it)
    INSUFFICIENT_FUNDS = "insufficient_funds"  # failed, nothing charged
    FREE_LIMIT = "free_limit"  # failed, nothing charged
    CLOSED = "closed"  # failed by the admin switches (maintenance, model off), nothing charged

    @property
    def ended(self) -> bool:
        return self in (Started.INSUFFICIENT_FUNDS, Started.FREE_LIMIT, Started.CLOSED)


class Confirmed(StrEnum):
    """How a user's confirm left their draft."""

    CONFIRMED = "confirmed"  # at the quote the button showed
    CHANGED = "changed"  # the draft's quote is not the button's: nothing done
    GONE = "gone"  # not this user's open draft


class Attached(StrEnum):
    """How a file for a media step left the draft."""

    ADDED = "added"
    ADDED_QUIETLY = "added_quietly"  # a later part of an album already acknowledged
    IGNORED = "ignored"  # more of an album sent to a one-file step
    FULL = "full"
    STALE = "stale"  # not an open draft of this user


# Why a job is flagged for admins (`review`): each one also sends them a message.
REVIEW_UNDELIVERED = "UNDELIVERED"  # the result could not be sent after the last attempt: refunded
REVIEW_SUBMIT_UNCONFIRMED = "SUBMIT_UNCONFIRMED"  # createTask began but no task id came back, nor a callback
REVIEW_MALFORMED = "MALFORMED"  # the document does not parse: the sweep leaves it to a human


@dataclass(frozen=True)
class Gate:
    """The admin switches a job must pass at the worker's start (they may have changed since confirmation)."""

    maintenance: bool = False
    disabled_models: frozenset[str] = frozenset()
    admins: frozenset[int] = frozenset()  # admins keep using the bot in maintenance

    def refusal(self, job: Job) -> ErrorCode | None:
        if job.smoke_run:  # an admin's smoke test checks the models as they are
            return None
        if job.model_id in self.disabled_models:
            return ErrorCode.MODEL_DISABLED
        if self.maintenance and job.user_id not in self.admins:
            return ErrorCode.MAINTENANCE
        return None


def delivery_step(job: Job, now: datetime, max_attempts: int = DELIVERY_ATTEMPTS) -> str:
    """For a succeeded job: 'done' (delivered), 'busy' (an attempt holds the lease), 'deliver' (another
    attempt may start) or 'give_up' (the last attempt is over: refund it)."""
    if job.state != JobState.SUCCEEDED or job.delivered_at:
        return "done"
    if job.delivery_until and job.delivery_until > now:
        return "busy"
    return "deliver" if job.delivery_attempts < max_attempts else "give_up"


def refundable(job: Job, now: datetime, max_attempts: int = DELIVERY_ATTEMPTS) -> bool:
    """A running job, or a result that ran out of delivery attempts."""
    if job.state == JobState.RUNNING:
        return True
    return delivery_step(job, now, max_attempts) == "give_up"


def abandoned(job: Job, now: datetime, quiet: timedelta) -> bool:
    """Running, nothing ever submitted (no marker, no task id) and nobody holding the submission lease: a
    job whose worker died before createTask (written before the marker existed). Checked again inside the
    refund transaction, so a retried worker that took the lease meanwhile wins over a stale read."""
    return (job.state == JobState.RUNNING and not job.kie_task_id and job.submitted_at is None
            and (job.lease_until is None or job.lease_until < now - quiet))


def results_fresh(job: Job, now: datetime) -> bool:
    """Can /history send the stored result URLs again (see RESULT_URLS_VALID)?"""
    return (job.state == JobState.SUCCEEDED and bool(job.result_urls) and job.finished_at is not None
            and now - job.finished_at < RESULT_URLS_VALID)
