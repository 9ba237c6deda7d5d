"""GetWeather.cached_hit: a fresh known city in one read, else what it read, untouched."""

from __future__ import annotations

import pytest

from adapters.memory.cache import MemoryCache
from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CityNotFound
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import Seen
from ports.clock import Clock
from tests.unit.use_case import SAN_JOSE, World, get_weather_over


@pytest.fixture
def world() -> World:
    return World()


async def test_a_fresh_entry_is_a_hit_counted_like_any_other(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(10)
    result = await world.get_weather.cached_hit(WeatherQuery.parse("san  JOSE"))
    assert not isinstance(result, Seen)
    assert result.outcome is CacheOutcome.HIT
    assert result.weather.temperature == 22.5
    assert result.age_s == pytest.approx(10)
    assert result.fresh_for_s == pytest.approx(290)
    counts = await world.counts()
    assert (counts[CounterName.CACHE_HITS], counts[CounterName.AVOIDED_API_CALLS]) == (1, 1)


async def test_a_missing_entry_is_none_and_fetches_nothing(world: World) -> None:
    assert await world.get_weather.cached_hit(SAN_JOSE) == Seen(SAN_JOSE.key, None)
    assert world.provider.calls == []
    assert await world.counts() == {}


async def test_a_stale_entry_is_none_and_starts_no_refresh(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    before = await world.counts()
    seen = await world.get_weather.cached_hit(SAN_JOSE)
    assert isinstance(seen, Seen) and seen.entry is not None
    await world.get_weather.drain()
    assert world.provider.calls == ["san jose"]
    assert await world.counts() == before


async def test_an_unknown_city_is_none_not_an_error(world: World) -> None:
    nowhere = WeatherQuery.parse("Nowhere")
    with pytest.raises(CityNotFound):
        await world.get_weather(nowhere)
    before = await world.counts()
    assert isinstance(await world.get_weather.cached_hit(nowhere), Seen)
    assert await world.counts() == before


async def test_an_early_refresh_is_left_to_the_full_call_which_starts_it() -> None:
    world = World()
    # XFetch with a huge beta and a slow last fetch: an early refresh is always due.
    policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, xfetch_beta=1e9)
    world.get_weather = get_weather_over(
        world.cache, world.provider, world.clock, policy, lock=world.lock, metrics=world.metrics
    )
    weather = await world.provider.current(SAN_JOSE, UpstreamCall())
    entry = policy.fresh_entry(weather, world.clock.now(), jitter_fraction=0, fetch_s=1.0)
    await world.cache.put(SAN_JOSE.key, entry, 3600)
    # The one-read path leaves it to the full call, which knows whom to charge for it.
    assert isinstance(await world.get_weather.cached_hit(SAN_JOSE), Seen)
    assert world.provider.calls == ["san jose"]
    result = await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather.drain()
    assert result.outcome is CacheOutcome.HIT
    assert world.provider.calls == ["san jose", "san jose"]


class CountedReads(MemoryCache):
    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.reads = 0

    async def get(self, key: str) -> CacheEntry | None:
        self.reads += 1
        return await super().get(key)


async def test_a_miss_handed_on_as_seen_is_not_read_again_before_its_lease() -> None:
    world = World()
    cache = CountedReads(world.clock)
    get_weather = get_weather_over(cache, world.provider, world.clock, CachePolicy())
    seen = await get_weather.cached_hit(SAN_JOSE)
    assert isinstance(seen, Seen)

    result = await get_weather(SAN_JOSE, seen=seen)

    assert result.outcome is CacheOutcome.MISS
    # The fast path's read, then the one under the lease (for a fetch finished meanwhile).
    assert cache.reads == 2


async def test_what_was_seen_for_another_key_is_not_taken_for_this_one(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    seen = Seen("boise", None)
    result = await world.get_weather(SAN_JOSE, seen=seen)
    assert result.outcome is CacheOutcome.HIT
