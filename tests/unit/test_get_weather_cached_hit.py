"""GetWeather.cached_hit: a fresh known city in one read, else None with no side effects."""

from __future__ import annotations

import pytest

from domain.model.counters import CounterName
from domain.model.errors import CityNotFound
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from tests.unit.test_get_weather import SAN_JOSE, World
from tests.unit.use_case import get_weather_over


@pytest.fixture
def world() -> World:
    return World()


async def test_a_fresh_entry_is_a_hit_counted_like_any_other(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(10)
    result = await world.get_weather.cached_hit(WeatherQuery.parse("san  JOSE"))
    assert result is not None
    assert result.outcome is CacheOutcome.HIT
    assert result.weather.temperature == 22.5
    assert result.age_s == pytest.approx(10)
    assert result.fresh_for_s == pytest.approx(290)
    counts = await world.counts()
    assert (counts[CounterName.CACHE_HITS], counts[CounterName.AVOIDED_API_CALLS]) == (1, 1)


async def test_a_missing_entry_is_none_and_fetches_nothing(world: World) -> None:
    assert await world.get_weather.cached_hit(SAN_JOSE) is None
    assert world.provider.calls == []
    assert await world.counts() == {}


async def test_a_stale_entry_is_none_and_starts_no_refresh(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    before = await world.counts()
    assert await world.get_weather.cached_hit(SAN_JOSE) is None
    await world.get_weather.drain()
    assert world.provider.calls == ["san jose"]
    assert await world.counts() == before


async def test_an_unknown_city_is_none_not_an_error(world: World) -> None:
    nowhere = WeatherQuery.parse("Nowhere")
    with pytest.raises(CityNotFound):
        await world.get_weather(nowhere)
    before = await world.counts()
    assert await world.get_weather.cached_hit(nowhere) is None
    assert await world.counts() == before


async def test_an_early_refresh_is_left_to_the_full_call_which_starts_it() -> None:
    world = World()
    # XFetch with a huge beta and a slow last fetch: an early refresh is always due.
    policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, xfetch_beta=1e9)
    world.get_weather = get_weather_over(
        world.cache, world.provider, world.clock, policy, lock=world.lock, metrics=world.metrics
    )
    weather = await world.provider.current(SAN_JOSE)
    entry = policy.fresh_entry(weather, world.clock.now(), jitter_fraction=0, fetch_s=1.0)
    await world.cache.put(SAN_JOSE.key, entry, 3600)
    # The one-read path leaves it to the full call, which knows whom to charge for it.
    assert await world.get_weather.cached_hit(SAN_JOSE) is None
    assert world.provider.calls == ["san jose"]
    result = await world.get_weather(SAN_JOSE, client="127.0.0.1")
    await world.get_weather.drain()
    assert result.outcome is CacheOutcome.HIT
    assert world.provider.calls == ["san jose", "san jose"]
