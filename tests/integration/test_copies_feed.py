"""The copies channel on real Redis: every write that lands and every purge is heard by every
subscriber, on one node, a Sentinel set and a cluster; what is not a copy is dropped and
counted; a restarted Redis is subscribed to again."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from adapters.memory.metrics import MemoryMetrics
from adapters.redis.cache import RedisCache
from adapters.redis.copies_feed import CopiesFeed
from adapters.redis.copy_messages import MAX_COPY_MESSAGE_BYTES
from adapters.redis.envelope import encode_entry
from adapters.redis.keys import COPIES_CHANNEL, weather_key
from adapters.redis.topology import RedisClient
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.weather import Weather
from tests.support.redis_server import LocalRedisServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

NOW = 1_000_000.0


def entry_for(city: str, fence: int = 5) -> CacheEntry:
    weather = Weather(city=city, temperature=len(city) + 0.5, humidity=None, description=None)
    return CacheEntry(
        weather=weather, fetched_at=NOW, fresh_until=NOW + 60, stale_until=NOW + 600, fence=fence
    )


class Heard:
    """A keeper that records what it is told, in order."""

    def __init__(self) -> None:
        self.told: list[tuple[str, CacheEntry | None]] = []

    async def keep_heard(self, key: str, entry: CacheEntry) -> None:
        self.told.append((key, entry))

    async def forget_heard(self, key: str) -> None:
        self.told.append((key, None))

    async def count(self, n: int) -> None:
        async def enough() -> bool:
            return len(self.told) >= n

        await eventually(enough, 10, f"{n} messages heard")


@contextlib.asynccontextmanager
async def feeding(client: RedisClient) -> AsyncIterator[tuple[CopiesFeed, Heard, MemoryMetrics]]:
    heard, metrics = Heard(), MemoryMetrics()
    feed = CopiesFeed(client, heard, metrics=metrics, backoff_s=(0.05, 0.2))
    feed.start()
    try:
        assert await feed.ready(10), "the feed never subscribed"
        yield feed, heard, metrics
    finally:
        await feed.aclose()


@pytest.fixture(params=["single", "sentinel", "cluster"])
def client(request: pytest.FixtureRequest) -> RedisClient:
    name = {"single": "redis_client", "sentinel": "sentinel_redis", "cluster": "cluster_redis"}
    fixture: RedisClient = request.getfixturevalue(name[request.param])
    return fixture


async def test_every_write_that_lands_and_every_purge_is_heard_in_order(
    client: RedisClient,
) -> None:
    cache = RedisCache(client, copies_channel=COPIES_CHANNEL)
    cities = [f"city {n}" for n in range(12)]  # on a cluster: every shard's slots
    async with feeding(client) as (_feed, heard, _metrics):
        for city in cities:
            await cache.put(city, entry_for(city), 60)
        await cache.put(cities[0], entry_for(cities[0], fence=4), 60)  # older: refused, untold
        await cache.delete(cities[1])
        await cache.put(cities[2], entry_for(cities[2], fence=6), 60)
        await heard.count(len(cities) + 2)
        await asyncio.sleep(0.1)  # nothing more comes
    expected = [(c, entry_for(c)) for c in cities]
    expected += [(cities[1], None), (cities[2], entry_for(cities[2], fence=6))]
    if isinstance(client, RedisCluster):  # one order per shard, not one across them
        assert sorted(heard.told, key=repr) == sorted(expected, key=repr)
    else:
        assert heard.told == expected


async def test_without_a_channel_writes_and_purges_are_not_told(redis_client: Redis) -> None:
    cache = RedisCache(redis_client)
    async with feeding(redis_client) as (_feed, heard, _metrics):
        await cache.put("boise", entry_for("boise"), 60)
        await cache.delete("boise")
        await asyncio.sleep(0.2)
    assert heard.told == []


async def test_what_is_not_a_copy_is_dropped_and_counted_and_the_feed_goes_on(
    redis_client: Redis,
) -> None:
    name = weather_key("boise").encode()
    envelope = encode_entry(entry_for("boise"))
    just_inside = name + envelope + b"\0" * (MAX_COPY_MESSAGE_BYTES - len(name + envelope))
    not_copies = [
        b"garbage",
        name + b"\xc1 not msgpack",
        b"skycache:v2:{\xff}:weather" + envelope,  # a key that is not text
        just_inside + b"\0",  # one byte over the bound
    ]
    async with feeding(redis_client) as (_feed, heard, metrics):
        for message in not_copies:
            await redis_client.publish(COPIES_CHANNEL, message)
        await redis_client.publish(COPIES_CHANNEL, name + envelope)
        await heard.count(1)
    assert heard.told == [("boise", entry_for("boise"))]
    assert (await metrics.totals())[CounterName.CORRUPT_ENTRIES] == len(not_copies)


def message_of(city: str, description_length: int) -> tuple[bytes, CacheEntry]:
    entry = entry_for(city)
    assert entry.weather is not None
    weather = dataclasses.replace(entry.weather, description="x" * description_length)
    entry = dataclasses.replace(entry, weather=weather)
    return weather_key(city).encode() + encode_entry(entry), entry


async def test_a_copy_at_the_size_bound_is_kept_one_byte_over_it_dropped(
    redis_client: Redis,
) -> None:
    short, _ = message_of("boise", 1000)
    at_bound, entry = message_of("boise", 1000 + MAX_COPY_MESSAGE_BYTES - len(short))
    over, _ = message_of("boise", 1001 + MAX_COPY_MESSAGE_BYTES - len(short))
    assert (len(at_bound), len(over)) == (MAX_COPY_MESSAGE_BYTES, MAX_COPY_MESSAGE_BYTES + 1)
    async with feeding(redis_client) as (_feed, heard, metrics):
        await redis_client.publish(COPIES_CHANNEL, over)
        await redis_client.publish(COPIES_CHANNEL, at_bound)
        await heard.count(1)
    assert heard.told == [("boise", entry)]
    assert (await metrics.totals())[CounterName.CORRUPT_ENTRIES] == 1


async def test_a_restarted_redis_is_subscribed_to_again(
    own_redis_server: LocalRedisServer,
) -> None:
    client = Redis.from_url(own_redis_server.url, socket_timeout=1)
    cache = RedisCache(client, copies_channel=COPIES_CHANNEL)

    async def subscribed() -> bool:
        return dict(await client.pubsub_numsub(COPIES_CHANNEL)).get(COPIES_CHANNEL.encode()) == 1

    try:
        async with feeding(client) as (_feed, heard, _metrics):
            await cache.put("boise", entry_for("boise"), 60)
            await heard.count(1)
            await asyncio.to_thread(own_redis_server.kill)
            await asyncio.to_thread(own_redis_server.start)  # empty, and no subscriber
            await eventually(subscribed, 10, "subscribed again", not_yet=(OSError, Exception))
            await cache.put("eugene", entry_for("eugene"), 60)
            await heard.count(2)
    finally:
        await client.aclose()
    assert [key for key, _ in heard.told] == ["boise", "eugene"]
