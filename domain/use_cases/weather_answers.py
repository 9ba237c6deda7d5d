"""WeatherAnswers: what /weather answers from an entry, and how each request is counted."""

from __future__ import annotations

from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CityNotFound
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.weather import Weather
from ports.metrics import Metrics

_COUNTERS = {
    CacheOutcome.HIT: (CounterName.CACHE_HITS, CounterName.AVOIDED_API_CALLS),
    CacheOutcome.STALE: (
        CounterName.CACHE_HITS,
        CounterName.STALE_SERVED,
        CounterName.AVOIDED_API_CALLS,
    ),
    CacheOutcome.NEGATIVE: (
        CounterName.CACHE_HITS,
        CounterName.NEGATIVE_HITS,
        CounterName.AVOIDED_API_CALLS,
    ),
    CacheOutcome.MISS: (CounterName.CACHE_MISSES,),
    CacheOutcome.COALESCED: (
        CounterName.CACHE_MISSES,
        CounterName.COALESCED,
        CounterName.AVOIDED_API_CALLS,
    ),
}
# The request needed a fetch, so it is a miss, whether the fetch failed, was refused or
# was another request's.
_FAILED_MISS = (CounterName.CACHE_MISSES, CounterName.UPSTREAM_ERRORS)


class WeatherAnswers:
    """Rules:
    - every request is counted once, as a hit or a miss, by its outcome;
    - an entry without weather is "no such city": a fresh one read from the cache is a
      NEGATIVE hit, raised as CityNotFound with how long it stays fresh."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def answer(self, entry: CacheEntry, outcome: CacheOutcome, now: float) -> WeatherResult:
        if entry.weather is None:
            if outcome is CacheOutcome.HIT:
                outcome = CacheOutcome.NEGATIVE
            self.count(outcome)
            raise CityNotFound(
                "no city by that name",
                outcome=outcome,
                fresh_for_s=max(entry.fresh_until - now, 0.0),
            )
        self.count(outcome)
        return result(entry.weather, entry, outcome, now)

    def count(self, outcome: CacheOutcome) -> None:
        for counter in _COUNTERS[outcome]:
            self._metrics.incr(counter)

    def count_failed_miss(self) -> None:
        for counter in _FAILED_MISS:
            self._metrics.incr(counter)


def result(weather: Weather, entry: CacheEntry, outcome: CacheOutcome, now: float) -> WeatherResult:
    return WeatherResult(
        weather=weather,
        outcome=outcome,
        age_s=max(now - entry.fetched_at, 0.0),
        fresh_for_s=max(entry.fresh_until - now, 0.0),
        stale_for_s=max(entry.stale_until - now, 0.0),
        fetched_at=entry.fetched_at,
        fence=entry.fence,
    )
