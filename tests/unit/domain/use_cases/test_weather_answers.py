"""WeatherAnswers: each request counted once by its outcome; an entry without weather is
"no such city"."""

from __future__ import annotations

import pytest

from adapters.memory.metrics import MemoryMetrics
from domain.model.counters import CounterName
from domain.model.errors import CityNotFound
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.weather import Weather
from domain.use_cases.weather_answers import WeatherAnswers

POLICY = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, negative_ttl_s=60)
BOISE = Weather(city="Boise", temperature=3.0, humidity=60, description="Clear", provider="fake")


async def test_a_hit_counts_a_hit_and_a_call_avoided() -> None:
    metrics = MemoryMetrics()
    result = WeatherAnswers(metrics).answer(
        POLICY.fresh_entry(BOISE, 1000.0, jitter_fraction=0), CacheOutcome.HIT, 1010.0
    )
    assert (result.outcome, result.age_s, result.fresh_for_s) == (CacheOutcome.HIT, 10.0, 290.0)
    assert dict(await metrics.totals()) == {
        CounterName.CACHE_HITS: 1,
        CounterName.AVOIDED_API_CALLS: 1,
    }


async def test_a_negative_entry_read_fresh_is_a_negative_hit_raised_with_its_freshness() -> None:
    metrics = MemoryMetrics()
    negative = POLICY.negative_entry(1000.0, provider="fake")
    with pytest.raises(CityNotFound) as raised:
        WeatherAnswers(metrics).answer(negative, CacheOutcome.HIT, 1059.0)

    assert (raised.value.outcome, raised.value.fresh_for_s) == (CacheOutcome.NEGATIVE, 1.0)
    assert (await metrics.totals())[CounterName.NEGATIVE_HITS] == 1


async def test_a_failed_miss_is_a_miss_and_an_upstream_error() -> None:
    metrics = MemoryMetrics()
    WeatherAnswers(metrics).count_failed_miss()
    assert dict(await metrics.totals()) == {
        CounterName.CACHE_MISSES: 1,
        CounterName.UPSTREAM_ERRORS: 1,
    }
