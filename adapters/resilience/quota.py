"""Quota windows: after an upstream's 429, stay away for as long as it asked."""

from __future__ import annotations

import math

from domain.model.admission import PROBE_EVERY_S
from domain.model.errors import UpstreamRateLimited
from ports.clock import Clock

DAY_S = 86_400.0
# A 429 that names no window: wait a minute, Open-Meteo's shortest quota period.
DEFAULT_WINDOW_S = 60.0
# Open-Meteo's `reason` says which of its limits was hit (its docs, "API limits").
_REASON_WINDOWS = (("concurrent", 1.0), ("minutely", 60.0), ("hourly", 3_600.0))


def window_s(error: UpstreamRateLimited, now: float) -> float:
    """How long to stay away after a 429: the longest of Retry-After and the named limit;
    after a daily limit, until the next probe."""
    daily_until = daily_limit_ends(error, now)
    if daily_until is not None:
        return min(daily_until - now, PROBE_EVERY_S)  # the shared budget holds the rest
    reason = error.reason.lower()
    candidates = [s for word, s in _REASON_WINDOWS if word in reason]
    if error.retry_after_s is not None:
        candidates.append(error.retry_after_s)
    return max(candidates) if candidates else DEFAULT_WINDOW_S


def daily_limit_ends(error: UpstreamRateLimited, now: float) -> float | None:
    """When a daily-limit 429's quota resets (00:00 UTC, Open-Meteo's reset), else None."""
    if "daily" not in error.reason.lower():
        return None
    return now - now % DAY_S + DAY_S


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
