"""GetWeather over a failover: only the first provider's "no such city" is final.

A fallback is asked only because the first provider failed; its "not found" may be a
city it does not know, so it neither replaces a cached copy nor is cached itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from adapters.memory.metrics import MemoryMetrics
from adapters.resilience.failover import FailoverProvider
from domain.model.counters import CounterName
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import GetWeather
from ports.cache import Cache
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import get_weather_over

SAN_JOSE = WeatherQuery.parse("San Jose")
DOWN = UpstreamUnavailable("open-meteo upstream answered 500")
POLICY = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, backoff_base_s=5, negative_ttl_s=600)


def _memory(clock: FakeClock) -> Cache:
    return MemoryCache(clock=clock)


class Chain:
    """open-meteo first, then openweathermap, which does not know San Jose."""

    def __init__(self, cache_on: Callable[[FakeClock], Cache] = _memory) -> None:
        self.clock = FakeClock()
        self.cache = cache_on(self.clock)
        self.metrics = MemoryMetrics()
        self.first = _named("open-meteo", {"san jose": 22.5})
        self.second = _named("openweathermap", {"boise": 3.0})
        provider = FailoverProvider([self.first, self.second])
        self.get_weather: GetWeather = get_weather_over(
            self.cache, provider, self.clock, POLICY, metrics=self.metrics
        )

    async def stale(self) -> None:
        await self.get_weather(SAN_JOSE)
        self.clock.advance(301)


def _named(name: str, temperatures: dict[str, float]) -> FakeProvider:
    provider = FakeProvider(temperatures)
    provider.name = name
    return provider


@pytest.fixture
def chain() -> Chain:
    return Chain()


async def test_a_fallbacks_not_found_fails_the_refresh_and_keeps_the_stale_copy(
    chain: Chain,
) -> None:
    await chain.stale()
    chain.first.failing = DOWN

    served = await chain.get_weather(SAN_JOSE)
    await chain.get_weather.drain()

    assert served.outcome is CacheOutcome.STALE
    kept = await chain.cache.get(SAN_JOSE.key)
    assert kept is not None and kept.weather is not None
    assert kept.weather.temperature == 22.5
    assert kept.failures == 1 and kept.retry_after == chain.clock.now() + 5  # backed off
    chain.clock.advance(4.9)  # just inside the back-off: no refresh is tried
    again = await chain.get_weather(SAN_JOSE)
    await chain.get_weather.drain()
    assert again.outcome is CacheOutcome.STALE
    assert chain.second.calls == ["san jose"]
    chain.clock.advance(0.1)  # the back-off is over: one more refresh, failed the same way
    await chain.get_weather(SAN_JOSE)
    await chain.get_weather.drain()
    assert chain.second.calls == ["san jose"] * 2
    kept = await chain.cache.get(SAN_JOSE.key)
    assert kept is not None and kept.weather is not None and kept.failures == 2


async def test_after_the_failed_refresh_the_first_provider_back_refreshes_the_copy(
    chain: Chain,
) -> None:
    await chain.stale()
    chain.first.failing = DOWN
    await chain.get_weather(SAN_JOSE)
    await chain.get_weather.drain()

    chain.first.failing = None
    chain.clock.advance(5)  # the back-off is over
    await chain.get_weather(SAN_JOSE)
    await chain.get_weather.drain()

    refreshed = await chain.get_weather(SAN_JOSE)
    assert refreshed.outcome is CacheOutcome.HIT
    assert refreshed.weather.provider == "open-meteo"


async def test_a_fallbacks_not_found_for_a_new_city_is_a_404_nobody_caches(
    chain: Chain,
) -> None:
    chain.first.failing = DOWN

    with pytest.raises(CityNotFound) as raised:
        await chain.get_weather(SAN_JOSE)

    assert raised.value.final is False
    assert raised.value.outcome is CacheOutcome.MISS
    assert raised.value.fresh_for_s == 0
    assert await chain.cache.get(SAN_JOSE.key) is None
    counts = dict(await chain.metrics.totals())
    assert counts[CounterName.UPSTREAM_ERRORS] == 1  # the first provider failed it

    chain.first.failing = None  # back at once: the city is answered, not remembered 404
    assert (await chain.get_weather(SAN_JOSE)).outcome is CacheOutcome.MISS


async def test_the_first_providers_not_found_stays_a_negative_entry(chain: Chain) -> None:
    atlantis = WeatherQuery.parse("Atlantis")

    with pytest.raises(CityNotFound) as fetched:
        await chain.get_weather(atlantis)
    with pytest.raises(CityNotFound) as remembered:
        await chain.get_weather(atlantis)

    assert fetched.value.final and remembered.value.outcome is CacheOutcome.NEGATIVE
    assert remembered.value.fresh_for_s == 600
    stored = await chain.cache.get(atlantis.key)
    assert (
        stored is not None
        and stored.weather is None
        and not stored.is_unusable
        and stored.provider == "open-meteo"
    )
    assert (chain.first.calls, chain.second.calls) == (["atlantis"], [])


async def test_a_fallbacks_not_found_on_a_miss_is_answered_by_the_last_good_copy() -> None:
    shared = MemoryCache(clock=FakeClock())
    chain = Chain(lambda clock: FallbackCache(shared, shared, clock=clock))
    await chain.get_weather(SAN_JOSE)
    await shared.delete(SAN_JOSE.key)  # the shared cache lost it (flushed, restarted)
    chain.first.failing = DOWN

    served = await chain.get_weather(SAN_JOSE)

    assert served.outcome is CacheOutcome.STALE and served.weather.temperature == 22.5
    written_back = await shared.get(SAN_JOSE.key)
    assert written_back is not None and written_back.failures == 1  # with a back-off
