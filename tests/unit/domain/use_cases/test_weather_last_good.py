"""GetWeather: an unusable answer is remembered briefly, and the last good copy serves
whenever a fetch fails, even when the shared cache has lost the entry."""

from __future__ import annotations

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from domain.model.counters import CounterName
from domain.model.errors import UnusableAnswer, UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from tests.unit.fakes import FakeClock
from tests.unit.use_case import SAN_JOSE, World

MISSING_TEMPERATURE = UnusableAnswer("forecast upstream sent an unusable body: no temperature")


class FlushableCache(MemoryCache):
    """A shared cache that can lose everything at once, as Redis does on FLUSHALL."""

    def flush(self) -> None:
        MemoryCache.__init__(self, clock=FakeClock())


def world_with_a_local_copy() -> tuple[World, FlushableCache]:
    shared = FlushableCache(clock=FakeClock())
    # The local copy's expiry follows the world's clock.
    clock = FakeClock()
    world = World(cache=FallbackCache(shared, shared, clock=clock), clock=clock)
    return world, shared


async def test_an_unusable_answer_is_a_502_remembered_for_its_short_ttl() -> None:
    world = World()
    world.provider.failing = MISSING_TEMPERATURE
    for _ in range(5):
        with pytest.raises(UnusableAnswer, match="no temperature"):
            await world.get_weather(SAN_JOSE)
    assert world.provider.calls == ["san jose"]  # the four repeats cost no upstream call

    world.clock.advance(61)  # UNUSABLE_TTL's default is 60 s
    world.provider.failing = None
    assert (await world.get_weather(SAN_JOSE)).outcome is CacheOutcome.MISS
    assert len(world.provider.calls) == 2


async def test_a_remembered_unusable_answer_says_it_came_from_the_cache_and_when_to_retry() -> None:
    world = World()
    world.provider.failing = MISSING_TEMPERATURE
    with pytest.raises(UnusableAnswer) as fetched:
        await world.get_weather(SAN_JOSE)
    world.clock.advance(20)
    with pytest.raises(UnusableAnswer) as remembered:
        await world.get_weather(SAN_JOSE)
    assert fetched.value.outcome is CacheOutcome.MISS
    assert remembered.value.outcome is CacheOutcome.HIT
    assert remembered.value.retry_after_s == pytest.approx(40)
    counts = await world.counts()
    assert counts[CounterName.UPSTREAM_ERRORS] == 1  # the fetch, as any failed fetch
    assert counts[CounterName.CACHE_HITS] == 1  # the repeat, answered by the cache


async def test_a_refresh_that_gets_an_unusable_answer_keeps_the_stale_copy() -> None:
    world = World()
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    world.provider.failing = MISSING_TEMPERATURE
    for _ in range(3):
        result = await world.get_weather(SAN_JOSE)
        await world.get_weather.drain()
        assert result.outcome is CacheOutcome.STALE
        assert result.weather.temperature == 22.5
    stored = await world.cache.get("san jose")
    assert stored is not None and stored.weather is not None and stored.failures == 1


@pytest.mark.parametrize(
    "failure", [UpstreamUnavailable("forecast upstream answered 500"), MISSING_TEMPERATURE]
)
async def test_when_the_shared_cache_lost_the_entry_and_the_fetch_fails_the_last_good_copy_serves(
    failure: UpstreamUnavailable,
) -> None:
    world, shared = world_with_a_local_copy()
    await world.get_weather(SAN_JOSE)
    shared.flush()
    world.provider.failing = failure

    served = await world.get_weather(SAN_JOSE)
    again = await world.get_weather(SAN_JOSE)

    assert served.outcome is CacheOutcome.STALE and served.stale
    assert served.weather.temperature == 22.5
    # Written back with a back-off: the next request is answered without another try.
    assert again.weather.temperature == 22.5
    assert len(world.provider.calls) == 2
    restored = await shared.get("san jose")
    assert restored is not None and restored.failures == 1


async def test_without_a_last_good_copy_a_failed_fetch_still_fails() -> None:
    world, _ = world_with_a_local_copy()
    world.provider.failing = UpstreamUnavailable("forecast upstream answered 500")
    with pytest.raises(UpstreamUnavailable):
        await world.get_weather(SAN_JOSE)


async def test_a_remembered_unusable_answer_gives_way_to_a_last_good_copy() -> None:
    world, shared = world_with_a_local_copy()
    await world.get_weather(SAN_JOSE)
    shared.flush()
    world.provider.failing = MISSING_TEMPERATURE
    results = [await world.get_weather(SAN_JOSE) for _ in range(3)]
    assert {r.weather.temperature for r in results} == {22.5}
    assert results[0].outcome is CacheOutcome.STALE


async def test_an_answer_from_the_last_good_copy_is_counted_once_as_a_stale_hit() -> None:
    world, shared = world_with_a_local_copy()
    await world.get_weather(SAN_JOSE)
    shared.flush()
    world.provider.failing = MISSING_TEMPERATURE
    await world.get_weather(SAN_JOSE)  # the fetch is unusable: the copy serves
    shared.flush()
    remembered = CachePolicy().unusable_entry(world.clock.now(), "remembered", provider="fake")
    await shared.put("san jose", remembered, 60)
    before = await world.counts()
    await world.get_weather(SAN_JOSE)  # a remembered 502, but the copy serves again
    after = await world.counts()
    assert after.get(CounterName.CACHE_HITS, 0) - before.get(CounterName.CACHE_HITS, 0) == 1
    assert after[CounterName.STALE_SERVED] - before[CounterName.STALE_SERVED] == 1
    assert after.get(CounterName.CACHE_MISSES) == before.get(CounterName.CACHE_MISSES)


async def test_a_failed_fetch_answered_by_the_last_good_copy_is_a_miss_served_stale() -> None:
    world, shared = world_with_a_local_copy()
    await world.get_weather(SAN_JOSE)
    shared.flush()
    world.provider.failing = UpstreamUnavailable("forecast upstream answered 500")
    before = await world.counts()
    result = await world.get_weather(SAN_JOSE)
    after = await world.counts()
    assert result.outcome is CacheOutcome.STALE

    def moved(counter: CounterName) -> int:
        return after.get(counter, 0) - before.get(counter, 0)

    # One request, one miss (hits + misses still equal requests), answered stale.
    assert moved(CounterName.CACHE_MISSES) == 1
    assert moved(CounterName.CACHE_HITS) == 0
    assert moved(CounterName.STALE_SERVED) == 1
    assert moved(CounterName.UPSTREAM_ERRORS) == 1
