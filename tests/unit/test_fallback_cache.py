"""FallbackCache: the shared cache first; this process's last known good copy while it is down."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location, Weather
from tests.unit.fakes import FakeClock

NOW = 1_000_000.0
BOISE = CacheEntry(
    weather=Weather(city="Boise", temperature=3.0, humidity=60, description="Clear sky"),
    fetched_at=NOW,
    fresh_until=NOW + 300,
    stale_until=NOW + 86_400,
)
BOISE_LOCATION = Location(name="Boise", latitude=43.6, longitude=-116.2)


class SwitchableCache(MemoryCache):
    """An in-memory shared cache that can be taken down."""

    def __init__(self) -> None:
        self.clock = FakeClock()  # its own: a stand-in for Redis, whose TTLs run apart
        super().__init__(clock=self.clock)
        self.down = False

    async def get(self, key: str) -> CacheEntry | None:
        self._fail_if_down()
        return await super().get(key)

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        self._fail_if_down()
        await super().put(key, entry, ttl_s)

    async def get_location(self, key: str) -> Location | None:
        self._fail_if_down()
        return await super().get_location(key)

    def _fail_if_down(self) -> None:
        if self.down:
            raise CacheUnavailable("down")


@pytest.fixture
def shared() -> SwitchableCache:
    return SwitchableCache()


@pytest.fixture
def cache(shared: SwitchableCache) -> FallbackCache:
    return FallbackCache(shared, shared, max_items=2, clock=FakeClock(NOW))


async def test_an_entry_written_here_is_served_while_the_shared_cache_is_down(
    shared: SwitchableCache, cache: FallbackCache
) -> None:
    await cache.put("boise", BOISE, 60)
    shared.down = True
    assert await cache.get("boise") == BOISE


async def test_an_entry_another_process_wrote_is_kept_once_read(
    shared: SwitchableCache, cache: FallbackCache
) -> None:
    await shared.put("boise", BOISE, 60)
    await shared.put_location("boise", BOISE_LOCATION, 60)
    await cache.get("boise")
    await cache.get_location("boise")
    shared.down = True
    assert await cache.get("boise") == BOISE
    assert await cache.get_location("boise") == BOISE_LOCATION


async def test_the_local_copy_is_bounded(shared: SwitchableCache, cache: FallbackCache) -> None:
    for key in ("a", "b", "c"):
        await cache.put(key, BOISE, 60)
    shared.down = True
    with pytest.raises(CacheUnavailable):
        await cache.get("a")
    assert await cache.get("c") == BOISE


async def test_a_changed_shared_entry_replaces_the_copy_an_unchanged_one_kept(
    shared: SwitchableCache, cache: FallbackCache
) -> None:
    # Re-reading the very same entry object skips the copy; a new one must not be skipped.
    await shared.put("boise", BOISE, 60)
    await cache.get("boise")
    await cache.get("boise")
    refreshed = dataclasses.replace(BOISE, fetched_at=NOW + 10, fresh_until=NOW + 310)
    await shared.put("boise", refreshed, 60)
    assert await cache.get("boise") is refreshed
    shared.down = True
    assert await cache.get("boise") is refreshed


async def test_an_entry_kept_is_recognised_by_identity_and_only_until_it_expires() -> None:
    clock = FakeClock()
    local = MemoryCache(clock=clock)
    await local.put("boise", BOISE, 60)
    assert local.holds("boise", BOISE)
    assert not local.holds("boise", dataclasses.replace(BOISE))  # equal, but another object
    assert not local.holds("eugene", BOISE)
    await local.put("boise", BOISE, 1.0)
    clock.advance(1.0)
    assert not local.holds("boise", BOISE)


async def test_the_last_good_copy_outlives_the_shared_cache_losing_the_entry(
    cache: FallbackCache, shared: SwitchableCache
) -> None:
    await cache.put("boise", BOISE, 60)
    # Flushed, or restarted empty: it answers, without Boise.
    MemoryCache.__init__(shared, clock=shared.clock)

    assert await cache.get("boise") is None  # a miss, as the shared cache says
    assert await cache.last_good("boise") == BOISE


async def test_an_entry_without_weather_never_replaces_the_last_good_copy(
    cache: FallbackCache,
) -> None:
    unusable = dataclasses.replace(BOISE, weather=None, unusable="null temperature")
    await cache.put("boise", BOISE, 60)
    await cache.put("boise", unusable, 60)

    assert await cache.get("boise") == unusable  # the shared cache holds what was written
    assert await cache.last_good("boise") == BOISE
    assert await cache.last_good("nowhere") is None
