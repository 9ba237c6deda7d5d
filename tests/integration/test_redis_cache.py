"""RedisCache against a real Redis: corrupt values, size per city, round trips, outages."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator

import msgspec
import pytest
from redis.asyncio import Redis

from adapters.memory.metrics import MemoryMetrics
from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from adapters.redis.envelope import encode_entry
from adapters.redis.envelope_v1 import _FencedEntryV1
from adapters.redis.keys import location_key, weather_key
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location, Weather
from tests.support.ports import free_port
from tests.support.samples import SAN_JOSE

pytestmark = pytest.mark.integration


def fresh_entry(weather: Weather | None = SAN_JOSE) -> CacheEntry:
    now = time.time()
    return CacheEntry(
        weather=weather, fetched_at=now, fresh_until=now + 317.4, stale_until=now + 86_400
    )


@pytest.fixture
async def down_client() -> AsyncIterator[Redis]:
    """A client with the service's own timeouts, pointed at a port nobody listens on."""
    client = create_redis_client(f"redis://127.0.0.1:{free_port()}/0")
    yield client
    await client.aclose()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\xc1 not msgpack at all", id="garbage"),
        pytest.param(encode_entry(fresh_entry())[:-7], id="truncated"),
        pytest.param(msgspec.msgpack.encode([2, None, 1, 2, 3, 0, 0, 0]), id="another-version"),
        pytest.param(msgspec.msgpack.encode({"city": "San Jose"}), id="wrong-shape"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_an_unreadable_entry_is_a_counted_miss(redis_client: Redis, raw: bytes) -> None:
    metrics = MemoryMetrics()
    cache = RedisCache(redis_client, metrics=metrics)
    await redis_client.set(weather_key("san jose"), raw)
    await redis_client.set(location_key("san jose"), raw)
    assert await cache.get("san jose") is None
    assert await cache.get_location("san jose") is None
    assert (await metrics.totals()).get(CounterName.CORRUPT_ENTRIES) == 2


async def test_a_corrupt_entry_is_replaced_by_the_next_put(redis_client: Redis) -> None:
    cache = RedisCache(redis_client)
    await redis_client.set(weather_key("san jose"), b"\x00\x01")
    entry = fresh_entry()
    await cache.put("san jose", entry, 60)
    found = await cache.get("san jose")
    assert found is not None and found.weather == SAN_JOSE


async def test_a_city_costs_at_most_200_bytes_of_redis_memory(redis_client: Redis) -> None:
    """As the service writes it: fenced, its provider named, a day of stale life."""
    cache = RedisCache(redis_client)
    now = time.time()
    entry = dataclasses.replace(fresh_entry(), fetch_s=0.25, fence=round((now - 0.25) * 1000))
    await cache.put("san jose", entry, 86_400)
    used = await redis_client.memory_usage(weather_key("san jose"))
    assert used is not None and used <= 200, f"MEMORY USAGE {used} bytes"


async def test_a_rolling_upgrade_keeps_the_newer_fetch_in_either_envelope(
    redis_client: Redis,
) -> None:
    """The write script reads the fence of what the version before stored, and the version
    before's script reads this one's: the 11th element in both."""
    cache, key = RedisCache(redis_client), weather_key("san jose")
    newer = dataclasses.replace(fresh_entry(), fence=2_000)
    v1 = _FencedEntryV1(None, round(newer.fetched_at * 1000), 1, 1, 0, 0, 0, None, None, 2_000)
    await redis_client.set(key, msgspec.msgpack.encode(v1))
    await cache.put("san jose", dataclasses.replace(newer, fence=1_999), 60)  # older: refused
    assert await redis_client.get(key) == msgspec.msgpack.encode(v1)
    await cache.put("san jose", newer, 60)  # the same fetch rewriting: accepted
    stored = await cache.get("san jose")
    assert stored is not None and (stored.weather, stored.fence) == (SAN_JOSE, 2_000)


async def test_put_sets_the_ttl_it_is_given(redis_client: Redis) -> None:
    cache = RedisCache(redis_client)
    await cache.put("san jose", fresh_entry(), 60)
    await cache.put_location("san jose", Location(name="San Jose", latitude=1, longitude=2), 90)
    assert 59_000 < await redis_client.pttl(weather_key("san jose")) <= 60_000
    assert 89_000 < await redis_client.pttl(location_key("san jose")) <= 90_000


async def test_a_hit_is_one_command(redis_client: Redis) -> None:
    cache = RedisCache(redis_client)
    await cache.put("san jose", fresh_entry(), 60)
    await cache.get("san jose")  # warm the connection: HELLO and friends are not the hit's
    await redis_client.config_resetstat()
    assert await cache.get("san jose") is not None
    stats = await redis_client.info("commandstats")
    # Everything but CONFIG RESETSTAT itself (named cmdstat_config|resetstat since Redis 7).
    calls = {k: row["calls"] for k, row in stats.items() if not k.startswith("cmdstat_config")}
    assert calls == {"cmdstat_get": 1}


async def test_an_unchanged_entry_reads_as_the_same_object_and_a_rewrite_as_the_new_one(
    redis_client: Redis,
) -> None:
    # Hot hits decode once; another process's write must still be seen on the next read.
    cache = RedisCache(redis_client)
    await cache.put("san jose", fresh_entry(), 60)
    first = await cache.get("san jose")
    assert first is not None and await cache.get("san jose") is first
    rewritten = fresh_entry(dataclasses.replace(SAN_JOSE, temperature=-4.0))
    await RedisCache(redis_client).put("san jose", rewritten, 60)
    found = await cache.get("san jose")
    assert found is not None and found.weather is not None
    assert found.weather.temperature == -4.0
    await redis_client.set(weather_key("san jose"), b"\x00 corrupt")
    assert await cache.get("san jose") is None


async def test_a_down_redis_is_reported_on_the_refusal(down_client: Redis) -> None:
    cache = RedisCache(down_client)
    failures = []
    for call in (
        cache.get("san jose"),
        cache.put("san jose", fresh_entry(), 60),
        cache.get_location("san jose"),
    ):
        with pytest.raises(CacheUnavailable) as raised:
            await call
        failures.append(str(raised.value))
    assert await cache.ping() is False
    # Each on the refused connection, none on a timeout waited out.
    assert all("ConnectionError" in failure for failure in failures), failures
