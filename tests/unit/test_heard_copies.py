"""Copies heard from other processes' writes (the copies channel) are kept by the rules of
the ones read, and serve a failed miss as those do: until the entry's stale end, no longer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from domain.model.entry import CacheEntry
from domain.model.errors import UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.weather import Weather
from tests.unit.fakes import FakeClock
from tests.unit.use_case import SAN_JOSE, World

NOW = 1_000_000.0
STALE_END = NOW + 600


def boise(*, fence: int = 2, temperature: float | None = 3.0) -> CacheEntry:
    """Boise's entry as a fetch with `fence` wrote it; no weather when `temperature` is None."""
    weather = None
    if temperature is not None:
        weather = Weather(city="Boise", temperature=temperature, humidity=None, description=None)
    return CacheEntry(
        weather=weather, fetched_at=NOW, fresh_until=NOW + 300, stale_until=STALE_END, fence=fence
    )


BOISE = boise()


def copies(clock: FakeClock, max_items: int = 10) -> FallbackCache:
    shared = MemoryCache(clock=FakeClock())  # answers, but holds nothing: all was evicted
    return FallbackCache(shared, shared, max_items=max_items, clock=clock)


async def test_a_heard_entry_is_the_last_good_copy_until_its_stale_end() -> None:
    clock = FakeClock(NOW)
    cache = copies(clock)
    await cache.keep_heard("boise", BOISE)
    clock.advance(599.999)
    assert await cache.last_good("boise") == BOISE
    clock.advance(0.002)
    assert await cache.last_good("boise") is None


async def test_an_entry_heard_past_its_stale_end_is_not_kept() -> None:
    cache = copies(FakeClock(NOW + 600))
    await cache.keep_heard("boise", BOISE)
    assert await cache.last_good("boise") is None


async def test_a_heard_entry_from_an_older_fetch_does_not_replace_a_newer_copy() -> None:
    cache = copies(FakeClock(NOW))
    await cache.keep_heard("boise", BOISE)
    await cache.keep_heard("boise", boise(fence=1, temperature=9))
    assert await cache.last_good("boise") == BOISE
    await cache.keep_heard("boise", boise(fence=3, temperature=9))  # a newer fetch's
    assert await cache.last_good("boise") == boise(fence=3, temperature=9)


async def test_a_heard_entry_without_weather_does_not_replace_a_copy_with_weather() -> None:
    cache = copies(FakeClock(NOW))
    await cache.keep_heard("boise", BOISE)
    await cache.keep_heard("boise", boise(fence=3, temperature=None))
    assert await cache.last_good("boise") == BOISE


async def test_a_heard_purge_drops_the_copy() -> None:
    cache = copies(FakeClock(NOW))
    await cache.keep_heard("boise", BOISE)
    await cache.forget_heard("boise")
    assert await cache.last_good("boise") is None


async def test_heard_copies_share_the_local_copy_bound() -> None:
    cache = copies(FakeClock(NOW), max_items=2)
    for key in ("a", "b", "c"):
        await cache.keep_heard(key, BOISE)
    assert [await cache.last_good(k) is not None for k in "abc"] == [False, True, True]


async def heard_world() -> World:
    """A worker that never read San Jose, but heard another one write it."""
    writer = World()
    await writer.get_weather(SAN_JOSE)
    written = await writer.cache.get(SAN_JOSE.key)
    assert written is not None
    clock = FakeClock()
    world = World(cache=copies(clock), clock=clock)
    assert isinstance(world.cache, FallbackCache)
    await world.cache.keep_heard(SAN_JOSE.key, written)
    world.provider.failing = UpstreamUnavailable("forecast upstream answered 500")
    return world


@pytest.mark.parametrize("before_end_s", [0.001, -0.001])
async def test_a_failed_miss_is_served_the_heard_copy_just_before_its_stale_end_only(
    before_end_s: float,
) -> None:
    world = await heard_world()
    copy = await world.cache.last_good(SAN_JOSE.key)
    assert copy is not None
    world.clock.advance(copy.stale_until - world.clock.now() - before_end_s)
    if before_end_s < 0:
        with pytest.raises(UpstreamUnavailable):
            await world.get_weather(SAN_JOSE)
        return
    served = await world.get_weather(SAN_JOSE)
    assert served.outcome is CacheOutcome.STALE
    assert served.weather == copy.weather


async def test_a_heard_copy_of_another_providers_weather_is_not_served() -> None:
    world = await heard_world()
    copy = await world.cache.last_good(SAN_JOSE.key)
    assert copy is not None and copy.weather is not None
    simulated = replace(copy.weather, provider="simulated")  # not this chain's provider
    foreign = replace(copy, weather=simulated, fence=copy.fence + 1)
    await world.cache.forget_heard(SAN_JOSE.key)
    await world.cache.keep_heard(SAN_JOSE.key, foreign)
    assert await world.cache.last_good(SAN_JOSE.key) == foreign  # kept, but not served
    with pytest.raises(UpstreamUnavailable):
        await world.get_weather(SAN_JOSE)
