"""MemoryCache holds live entries only: an expired one goes on a later write, read or not."""

from __future__ import annotations

from adapters.expiry import SWEEP_PER_WRITE
from adapters.memory.cache import MemoryCache
from domain.model.entry import CacheEntry
from domain.model.weather import Location, Weather
from tests.unit.fakes import FakeClock

NOW = 1_000_000.0
UNKNOWN = CacheEntry(weather=None, fetched_at=NOW, fresh_until=NOW + 10, stale_until=NOW + 10)
BOISE = CacheEntry(
    weather=Weather(city="Boise", temperature=3.0, humidity=60, description="Clear sky"),
    fetched_at=NOW,
    fresh_until=NOW + 300,
    stale_until=NOW + 86_400,
)


async def test_an_entry_never_read_again_is_held_until_its_ttl_and_gone_at_it() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.put("nowhere", UNKNOWN, ttl_s=10)
    clock.advance(9.999)
    await cache.put("boise", BOISE, ttl_s=86_400)
    assert len(cache) == 2
    clock.advance(0.001)
    await cache.put("boise", BOISE, ttl_s=86_400)
    assert len(cache) == 1
    assert await cache.get("boise") is BOISE


async def test_a_name_a_second_each_living_ten_seconds_holds_ten_not_an_hour_of_them() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_items=10_000, clock=clock)
    await cache.put("boise", BOISE, ttl_s=86_400)
    for second in range(3_600):  # the soak's unknown names: one a second, NEGATIVE_TTL=10
        await cache.put(f"nowhere{second}", UNKNOWN, ttl_s=10)
        clock.advance(1)
    assert len(cache) == 1 + 10  # the live entry and the last ten seconds' names


async def test_the_lru_bound_still_holds_while_every_entry_is_live() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_items=3, clock=clock)
    for name in ("a", "b", "c", "d"):
        await cache.put(name, BOISE, ttl_s=86_400)
    assert len(cache) == 3
    assert await cache.get("a") is None


async def test_a_fresher_rewrite_of_a_key_keeps_it_past_its_first_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.put("boise", BOISE, ttl_s=5)
    clock.advance(4)
    await cache.put("boise", BOISE, ttl_s=5)  # refreshed: now lives until 9
    clock.advance(2)
    await cache.put("other", BOISE, ttl_s=100)  # the first time's turn has come: outdated
    assert await cache.get("boise") is BOISE


async def test_locations_expire_the_same_way() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.put_location("boise", Location(name="Boise", latitude=43.6, longitude=-116.2), 5)
    clock.advance(5)
    await cache.put_location("paris", Location(name="Paris", latitude=48.9, longitude=2.4), 5)
    assert cache._locations.expires_at("boise") is None  # gone without a read
    assert await cache.get_location("paris") is not None


async def test_a_burst_expiring_at_once_is_dropped_a_few_entries_a_write() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    for n in range(100):
        await cache.put(f"burst{n}", UNKNOWN, ttl_s=10)
    clock.advance(10)
    await cache.put("boise", BOISE, ttl_s=86_400)
    assert len(cache) == 101 - SWEEP_PER_WRITE
