"""Per-user rate limits: token buckets. The arithmetic is pure (`take`); `Buckets` keeps one instance's
buckets in memory, for the most recently seen users only (bounded memory).

In memory on purpose: a limited update costs no Firestore operation. The price is that each instance
counts on its own, so the bound for a user is the limit times the number of webhook instances."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_USERS = 10_000  # buckets kept per instance; the least recently seen user's is dropped first (a full bucket)


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: float  # monotonic seconds of the last take
    warned: bool = False  # the user was told to slow down since the bucket last had a token


def take(bucket: Bucket | None, per_minute: int, now: float) -> tuple[bool, bool, Bucket]:
    """(allowed, tell the user, the new bucket). A bucket holds `per_minute` tokens (the burst) and refills
    at per_minute/60 a second. Only the first refusal in a row is told: the reply must not become a flood."""
    if bucket is None:
        bucket = Bucket(float(per_minute), now)
    tokens = min(float(per_minute), bucket.tokens + (now - bucket.at) * per_minute / 60)
    if tokens >= 1:
        return True, False, Bucket(tokens - 1, now)
    return False, not bucket.warned, Bucket(tokens, now, warned=True)


class Buckets:
    """One limit (`per_minute`; 0 turns it off) for every user an instance sees."""

    def __init__(self, per_minute: int, max_users: int = MAX_USERS):
        self.per_minute = per_minute
        self.max_users = max_users
        self._buckets: OrderedDict[int, Bucket] = OrderedDict()

    def take(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """(allowed, tell the user)."""
        if self.per_minute <= 0:
            return True, False
        allowed, tell, bucket = take(self._buckets.pop(user_id, None), self.per_minute,
                                     time.monotonic() if now is None else now)
        self._buckets[user_id] = bucket
        if len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return allowed, tell
