"""How a request was answered, for headers, logs and counters."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.model.weather import Weather


class CacheOutcome(enum.StrEnum):
    HIT = "HIT"
    MISS = "MISS"
    STALE = "STALE"
    COALESCED = "COALESCED"
    NEGATIVE = "NEGATIVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class WeatherResult:
    weather: Weather
    outcome: CacheOutcome
    age_s: float
    fresh_for_s: float = 0.0
    stale_for_s: float = 0.0  # until the entry is no longer served at all, even stale
    fetched_at: float = 0.0  # epoch seconds, the same in every process sharing the cache
    fence: int = 0  # the fence of the entry that answered (CacheEntry.fence)

    @property
    def stale(self) -> bool:
        return self.outcome is CacheOutcome.STALE


class CounterName(enum.StrEnum):
    """Counters reported by /stats; the values are the public names.

    StrEnums, like CacheOutcome: both are dict keys on every hit, and a plain Enum hashes
    in Python, a StrEnum as its string does, in C."""

    CACHE_HITS = "cache_hits"
    CACHE_MISSES = "cache_misses"
    API_CALLS = "api_calls"
    AVOIDED_API_CALLS = "avoided_api_calls"
    STALE_SERVED = "stale_served"
    COALESCED = "coalesced"
    NEGATIVE_HITS = "negative_hits"
    UPSTREAM_ERRORS = "upstream_errors"
    CORRUPT_ENTRIES = "corrupt_entries"
    API_ATTEMPTS = "api_attempts"
