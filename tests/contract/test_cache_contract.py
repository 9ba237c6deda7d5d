"""The storage ports' contracts: WeatherStore and LocationStore, held by the in-memory and
the Redis adapter (on Redis and Valkey) alike; StoreHealth and LastGoodReader by each
adapter that offers them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from adapters.redis.cache import RedisCache
from domain.model.entry import CacheEntry
from domain.model.weather import Location, Weather
from tests.contract.elapse import Elapse
from tests.contract.servers import REDIS_CLIENTS, REDIS_SERVERS
from tests.support.samples import SAN_JOSE
from tests.unit.fakes import FakeClock

AnyCache = MemoryCache | RedisCache | FallbackCache
Copies = MemoryCache | FallbackCache

# Millisecond-exact times: the Redis envelope keeps times to the millisecond.
NOW = 1_717_243_200.125


@pytest.fixture(
    params=["memory", *REDIS_SERVERS, pytest.param("fallback", marks=pytest.mark.integration)]
)
def cache(request: pytest.FixtureRequest, clock: FakeClock) -> AnyCache:
    """`fallback` is Redis with the per-process last-good copy in front, as served."""
    if request.param == "memory":
        return MemoryCache(clock=clock)
    if request.param == "fallback":
        redis = RedisCache(request.getfixturevalue("redis_client"))
        return FallbackCache(redis, redis, clock=clock)
    return RedisCache(request.getfixturevalue(REDIS_CLIENTS[request.param]))


@pytest.fixture(params=["memory", *REDIS_SERVERS])
def health(request: pytest.FixtureRequest, clock: FakeClock) -> MemoryCache | RedisCache:
    if request.param == "memory":
        return MemoryCache(clock=clock)
    return RedisCache(request.getfixturevalue(REDIS_CLIENTS[request.param]))


@pytest.fixture(params=["memory", pytest.param("fallback", marks=pytest.mark.integration)])
def copies(request: pytest.FixtureRequest, clock: FakeClock) -> Copies:
    """The stores that keep this process's last good copy."""
    if request.param == "memory":
        return MemoryCache(clock=clock)
    redis = RedisCache(request.getfixturevalue("redis_client"))
    return FallbackCache(redis, redis, clock=clock)


def entry(weather: Weather | None = SAN_JOSE) -> CacheEntry:
    return CacheEntry(
        weather=weather, fetched_at=NOW, fresh_until=NOW + 317.5, stale_until=NOW + 86_400
    )


async def test_an_unknown_key_is_a_miss(cache: AnyCache) -> None:
    assert await cache.get("nowhere") is None


async def test_an_entry_comes_back_with_every_field(cache: AnyCache) -> None:
    stored = CacheEntry(
        weather=SAN_JOSE,
        fetched_at=NOW,
        fresh_until=NOW + 300.25,
        stale_until=NOW + 86_400,
        retry_after=NOW + 40.5,
        failures=3,
        fetch_s=0.183,
    )
    await cache.put("san jose", stored, 60)
    assert await cache.get("san jose") == stored


async def test_optional_weather_fields_may_be_absent(cache: AnyCache) -> None:
    bare = Weather(city="Boise", temperature=-3.5, humidity=80.5, description="Snow at dusk")
    await cache.put("boise", entry(bare), 60)
    assert await cache.get("boise") == entry(bare)


async def test_a_negative_entry_comes_back_negative(cache: AnyCache) -> None:
    await cache.put("atlantis", entry(None), 60)
    found = await cache.get("atlantis")
    assert found == entry(None)
    assert found is not None and found.weather is None and not found.is_unusable


async def test_an_entry_without_weather_keeps_the_provider_that_gave_it(
    cache: AnyCache,
) -> None:
    said = CacheEntry(
        weather=None, fetched_at=NOW, fresh_until=NOW + 600, stale_until=NOW + 600, provider="x"
    )
    await cache.put("atlantis", said, 60)
    await cache.put("boise", unusable(provider="open-meteo,openweathermap"), 60)
    assert await cache.get("atlantis") == said
    found = await cache.get("boise")
    assert found is not None and found.provider == "open-meteo,openweathermap"


async def test_keys_are_independent_and_may_be_any_script(
    cache: AnyCache,
) -> None:
    tokyo = Weather(city="東京", temperature=25.0, humidity=70.0, description="Clear sky")
    await cache.put("東京", entry(tokyo), 60)
    await cache.put("são paulo", entry(None), 60)
    assert await cache.get("東京") == entry(tokyo)
    assert await cache.get("são paulo") == entry(None)
    assert await cache.get("sao paulo") is None


async def test_a_later_put_replaces_the_entry(cache: AnyCache) -> None:
    await cache.put("san jose", entry(None), 60)
    await cache.put("san jose", entry(), 60)
    assert await cache.get("san jose") == entry()


async def test_an_entry_expires_after_its_ttl(cache: AnyCache, elapse: Elapse) -> None:
    await cache.put("san jose", entry(), 0.2)
    assert await cache.get("san jose") is not None
    await elapse(0.35)
    assert await cache.get("san jose") is None


async def test_a_location_comes_back_with_every_field(cache: AnyCache) -> None:
    where = Location(
        name="San José",
        latitude=37.33939,
        longitude=-121.89496,
        country="United States",
        timezone="America/Los_Angeles",
    )
    await cache.put_location("san josé", where, 60)
    assert await cache.get_location("san josé") == where
    assert await cache.get_location("san jose") is None
    assert await cache.get("san josé") is None  # weather and locations do not mix


async def test_a_location_expires_after_its_ttl(cache: AnyCache, elapse: Elapse) -> None:
    await cache.put_location("boise", Location(name="Boise", latitude=43.6, longitude=-116.2), 0.2)
    assert await cache.get_location("boise") is not None
    await elapse(0.35)
    assert await cache.get_location("boise") is None


async def test_a_reachable_backend_answers_ping(health: MemoryCache | RedisCache) -> None:
    assert await health.ping() is True


def unusable(
    reason: str = "forecast upstream sent an unusable body", provider: str | None = None
) -> CacheEntry:
    return replace(
        entry(None), fresh_until=NOW + 60, stale_until=NOW + 60, unusable=reason, provider=provider
    )


async def test_an_unusable_entry_comes_back_unusable_with_its_reason(cache: AnyCache) -> None:
    await cache.put("boise", unusable(), 60)
    found = await cache.get("boise")
    assert found == unusable()
    assert found is not None and found.is_unusable


async def test_weather_with_null_optional_fields_comes_back_as_it_went(cache: AnyCache) -> None:
    sparse = Weather(city="Boise", temperature=-3.5, humidity=None, description=None)
    await cache.put("boise", entry(sparse), 60)
    assert await cache.get("boise") == entry(sparse)


async def test_the_last_good_copy_is_the_entry_with_weather_last_put(copies: Copies) -> None:
    await copies.put("san jose", entry(), 60)
    assert await copies.last_good("san jose") == entry()
    assert await copies.last_good("nowhere") is None


async def test_an_entry_without_weather_is_never_a_last_good_copy(copies: Copies) -> None:
    await copies.put("atlantis", entry(None), 60)
    await copies.put("boise", unusable(), 60)
    assert await copies.last_good("atlantis") is None
    assert await copies.last_good("boise") is None


async def test_a_deleted_entry_is_a_miss(cache: AnyCache) -> None:
    await cache.put("san jose", entry(), ttl_s=300)
    await cache.put("boise", entry(), ttl_s=300)
    await cache.delete("san jose")
    assert await cache.get("san jose") is None
    assert await cache.get("boise") == entry()  # only that key


async def test_a_deleted_entry_leaves_no_last_good_copy(copies: Copies) -> None:
    await copies.put("san jose", entry(), ttl_s=300)
    await copies.get("san jose")  # a read that keeps a local copy
    await copies.delete("san jose")
    assert await copies.last_good("san jose") is None


async def test_deleting_a_key_never_stored_is_no_error(cache: AnyCache) -> None:
    await cache.delete("atlantis")
    assert await cache.get("atlantis") is None


def fenced(fence: int, temperature: float) -> CacheEntry:
    """An entry written by the fetch that started at `fence` and found `temperature`."""
    weather = Weather(city="San Jose", temperature=temperature, humidity=None, description=None)
    return replace(entry(weather), fresh_until=NOW + 300, stale_until=NOW + 600, fence=fence)


async def test_an_older_fetch_writing_after_a_newer_one_leaves_the_newer(
    cache: AnyCache,
) -> None:
    await cache.put("san jose", fenced(1_717_243_200_002, 21.5), 60)
    await cache.put("san jose", fenced(1_717_243_200_001, 9.0), 60)  # a millisecond older
    assert await cache.get("san jose") == fenced(1_717_243_200_002, 21.5)


async def test_a_last_good_copy_keeps_the_newer_of_two_fetches(copies: Copies) -> None:
    await copies.put("san jose", fenced(1_717_243_200_002, 21.5), 60)
    await copies.put("san jose", fenced(1_717_243_200_001, 9.0), 60)  # a millisecond older
    assert await copies.last_good("san jose") == fenced(1_717_243_200_002, 21.5)


async def test_an_equal_fence_is_the_same_fetch_rewriting_and_is_accepted(
    cache: AnyCache,
) -> None:
    await cache.put("san jose", fenced(1_717_243_200_001, 21.5), 60)
    backoff = replace(fenced(1_717_243_200_001, 21.5), retry_after=NOW + 5, failures=1)
    await cache.put("san jose", backoff, 60)
    assert await cache.get("san jose") == backoff


async def test_a_newer_fetch_replaces_an_older_one_and_an_unfenced_entry(
    cache: AnyCache,
) -> None:
    await cache.put("san jose", entry(), 60)  # written before fences: fence 0
    await cache.put("san jose", fenced(1_717_243_200_001, 9.0), 60)
    assert await cache.get("san jose") == fenced(1_717_243_200_001, 9.0)
    await cache.put("san jose", fenced(1_717_243_200_002, 21.5), 60)
    assert await cache.get("san jose") == fenced(1_717_243_200_002, 21.5)


async def test_after_a_delete_any_fence_is_accepted(cache: AnyCache) -> None:
    await cache.put("san jose", fenced(1_717_243_200_002, 21.5), 60)
    await cache.delete("san jose")
    await cache.put("san jose", fenced(1_717_243_200_001, 9.0), 60)
    assert await cache.get("san jose") == fenced(1_717_243_200_001, 9.0)
