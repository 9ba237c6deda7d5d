"""WeatherEntries: only this chain's entries are read; the cache being down is a miss."""

from __future__ import annotations

from dataclasses import replace

from adapters.memory.cache import MemoryCache
from domain.model.errors import CacheUnavailable
from domain.model.policy import CachePolicy
from domain.model.provenance import ProviderChain
from domain.model.weather import Weather
from domain.use_cases.weather_entries import WeatherEntries
from tests.unit.fakes import FakeClock

POLICY = CachePolicy(fresh_ttl_s=300, jitter_max_s=0)


def weather(provider: str) -> Weather:
    return Weather(
        city="Boise", temperature=3.0, humidity=60, description="Clear", provider=provider
    )


def entries_over(cache: MemoryCache, clock: FakeClock) -> WeatherEntries:
    return WeatherEntries(cache, ProviderChain.named("fake"), POLICY, clock)


async def test_an_entry_another_provider_wrote_is_read_as_absent() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    entries = entries_over(cache, clock)
    await entries.write(
        "boise", POLICY.fresh_entry(weather("simulated"), clock.now(), jitter_fraction=0)
    )
    assert await entries.read("boise") is None

    await entries.write(
        "boise", POLICY.fresh_entry(weather("fake"), clock.now(), jitter_fraction=0)
    )
    assert await entries.read("boise") is not None


async def test_a_fresh_entry_is_fresh_to_its_last_second_and_then_is_not() -> None:
    clock = FakeClock()
    entries = entries_over(MemoryCache(clock=clock), clock)
    await entries.write(
        "boise", POLICY.fresh_entry(weather("fake"), clock.now(), jitter_fraction=0)
    )

    clock.advance(299.9)  # just inside the fresh TTL
    assert await entries.fresh("boise") is not None
    clock.advance(0.2)  # just outside: stale, which never satisfies a waiting fetch
    assert await entries.fresh("boise") is None
    assert await entries.read("boise") is not None


class DownCache(MemoryCache):
    async def get(self, key: str) -> None:
        raise CacheUnavailable("down")

    async def put(self, key: str, entry: object, ttl_s: float) -> None:
        raise CacheUnavailable("down")


async def test_a_cache_that_is_down_reads_as_a_miss_and_skips_the_write() -> None:
    clock = FakeClock()
    entries = entries_over(DownCache(clock=clock), clock)
    entry = POLICY.fresh_entry(weather("fake"), clock.now(), jitter_fraction=0)

    await entries.write("boise", replace(entry, fence=1))  # no error
    assert await entries.read("boise") is None
