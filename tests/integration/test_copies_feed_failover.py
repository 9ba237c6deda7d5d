"""The copies feed follows Redis through a failover: after a Sentinel promotes a replica, or
a cluster's node under the subscription dies, it subscribes again and hears the next write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis import Redis as SyncRedis
from redis.asyncio.cluster import RedisCluster

from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from adapters.redis.keys import COPIES_CHANNEL
from domain.model.errors import CacheUnavailable
from tests.integration.test_copies_feed import entry_for, feeding
from tests.support.redis_cluster import LocalRedisCluster
from tests.support.redis_sentinel import LocalSentinelSet
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def sentinel_set() -> Iterator[LocalSentinelSet]:
    """The test's own set: it kills the primary."""
    with LocalSentinelSet() as sentinel_set:
        yield sentinel_set


def subscribers_on(port: int) -> int:
    with SyncRedis(port=port) as node:
        return int(dict(node.pubsub_numsub(COPIES_CHANNEL))[COPIES_CHANNEL.encode()])


async def test_after_a_sentinel_failover_the_feed_hears_the_new_primary(
    sentinel_set: LocalSentinelSet,
) -> None:
    client = create_redis_client(sentinel_set.topology, timeout_s=2.0, connect_timeout_s=2.0)
    cache = RedisCache(client, copies_channel=COPIES_CHANNEL)
    try:
        async with feeding(client) as (_feed, heard, _metrics):
            await cache.put("boise", entry_for("boise"), 60)
            await heard.count(1)
            new = await asyncio.to_thread(sentinel_set.replace_primary, "killed primary")

            async def subscribed_there() -> bool:
                return await asyncio.to_thread(subscribers_on, new) == 1

            await eventually(subscribed_there, 20, "subscribed on the new primary")

            async def written() -> bool:
                await cache.put("eugene", entry_for("eugene"), 60)
                return True

            await eventually(written, 10, "a write to the new primary", not_yet=(CacheUnavailable,))
            await heard.count(2)
    finally:
        await client.aclose()
    assert [key for key, _ in heard.told][-1] == "eugene"


async def test_when_the_clusters_node_under_the_feed_dies_it_listens_on_another(
    cluster_redis: RedisCluster, redis_cluster: LocalRedisCluster
) -> None:
    cache = RedisCache(cluster_redis, copies_channel=COPIES_CHANNEL)
    async with feeding(cluster_redis) as (_feed, heard, _metrics):
        under = redis_cluster.owner_of(COPIES_CHANNEL)  # the channel's slot picks the node
        assert await asyncio.to_thread(subscribers_on, under.port) == 1
        under.kill()
        try:
            redis_cluster.wait_for_new_owner(COPIES_CHANNEL, under)

            async def subscribed_elsewhere() -> bool:
                ports = [node.port for node in redis_cluster.nodes_running()]
                counts = [await asyncio.to_thread(subscribers_on, port) for port in ports]
                return sum(counts) == 1

            await eventually(subscribed_elsewhere, 20, "subscribed on another node")
            cities = [f"city {n}" for n in range(12)]  # the promoted shard's among them

            async def written() -> bool:
                for city in cities:
                    await cache.put(city, entry_for(city), 60)
                return True

            await eventually(written, 10, "writes on every shard", not_yet=(CacheUnavailable,))
            await heard.count(len(cities))
        finally:
            under.start()  # it rejoins as a replica of the promoted one
            redis_cluster.wait_until_ok()
    assert {key for key, _ in heard.told} == set(cities)
