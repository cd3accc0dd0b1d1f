"""Time helpers: quotas reset at midnight Moscow time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

MOSCOW = timezone(timedelta(hours=3), "MSK")  # Moscow has no DST since 2014


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def moscow_day(now: datetime | None = None) -> str:
    return (now or utcnow()).astimezone(MOSCOW).strftime("%Y-%m-%d")
