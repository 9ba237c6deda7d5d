"""Quota guards: honour the upstream's 429 windows, and optionally never reach them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from domain.errors import UpstreamRateLimited
from ports.clock import Clock

DAY_S = 86_400.0
# A 429 that names no window: wait a minute, Open-Meteo's shortest quota period.
DEFAULT_WINDOW_S = 60.0
# Open-Meteo's `reason` says which of its limits was hit (its docs, "API limits").
_REASON_WINDOWS = (("concurrent", 1.0), ("minutely", 60.0), ("hourly", 3_600.0))


def window_s(error: UpstreamRateLimited, now: float) -> float:
    """How long to stay away after a 429: the longest of Retry-After and the named limit."""
    reason = error.reason.lower()
    candidates = [s for word, s in _REASON_WINDOWS if word in reason]
    if "daily" in reason:
        candidates.append(DAY_S - now % DAY_S)  # the daily quota resets at 00:00 UTC
    if error.retry_after_s is not None:
        candidates.append(error.retry_after_s)
    return max(candidates) if candidates else DEFAULT_WINDOW_S


class QuotaWindow:
    """After a 429, no upstream call until its window has passed; callers fail fast."""

    def __init__(self, clock: Clock, *, name: str) -> None:
        self._clock = clock
        self._name = name
        self._until = 0.0
        self._reason = ""

    def remaining_s(self) -> float:
        return max(self._until - self._clock.now(), 0.0)

    def check(self) -> None:
        remaining = self.remaining_s()
        if remaining > 0:
            raise UpstreamRateLimited(
                f"{self._name} rate-limited us ({self._reason}); "
                f"no calls for another {math.ceil(remaining)} s",
                retry_after_s=remaining,
            )

    def close_for(self, error: UpstreamRateLimited) -> None:
        now = self._clock.now()
        self._until = max(self._until, now + window_s(error, now))
        self._reason = error.reason


@dataclass(frozen=True, slots=True)
class Limit:
    calls: int
    period_s: float
    label: str


class _Bucket:
    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.calls)
        self._rate = limit.calls / limit.period_s
        self._at = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.tokens + (now - self._at) * self._rate, self.limit.calls)
        self._at = now

    def wait_s(self) -> float:
        return max(1.0 - self.tokens, 0.0) / self._rate


class CallBudget:
    """Client-side token buckets, one per limit, so this process stays under the quota.

    Each bucket starts full and refills steadily: a burst of `calls` is allowed, then
    `calls` per `period_s`. Counts admitted provider calls, retries included.
    """

    def __init__(self, clock: Clock, limits: tuple[Limit, ...], *, name: str) -> None:
        self._clock = clock
        self._name = name
        self._buckets = [_Bucket(limit, clock.now()) for limit in limits if limit.calls > 0]

    def check(self) -> None:
        now = self._clock.now()
        for bucket in self._buckets:
            bucket.refill(now)
            if bucket.tokens < 1:
                wait = bucket.wait_s()
                raise UpstreamRateLimited(
                    f"{self._name} client-side budget of {bucket.limit.calls} calls "
                    f"per {bucket.limit.label} is spent; next call in {math.ceil(wait)} s",
                    retry_after_s=wait,
                )

    def spend(self) -> None:
        for bucket in self._buckets:
            bucket.tokens -= 1
