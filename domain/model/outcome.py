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
