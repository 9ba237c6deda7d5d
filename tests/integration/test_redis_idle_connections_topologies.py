"""Idle pooled connections closed on a Sentinel-watched primary (through a failover) and on
each node of a cluster, as on one node (test_redis_idle_connections.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from adapters.redis.client import WARM_CONNECTIONS, create_redis_client, warm_pool
from adapters.redis.idle_connections import close_idle, closing_idle_connections
from adapters.redis.topology import RedisClient, RedisTopology
from adapters.system_clock import SystemClock
from tests.integration.test_redis_idle_connections import IDLE_S
from tests.support.connections import BURST, burst, connections_named
from tests.support.fixtures_cluster import cluster_topology
from tests.support.redis_cluster import LocalRedisCluster
from tests.support.redis_sentinel import LocalSentinelSet
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration]


@asynccontextmanager
async def after_a_burst(topology: RedisTopology) -> AsyncIterator[tuple[RedisClient, str]]:
    """A warmed client under a name of its own, after a burst of BURST commands at once."""
    name = f"idle-{uuid.uuid4().hex[:8]}"
    client = create_redis_client(topology, timeout_s=5.0, client_name=name)
    try:
        await warm_pool(client)
        await burst(client, BURST, key=f"{{{name}}}")  # one slot: one cluster node
        yield client, name
    finally:
        await client.aclose()


@pytest.fixture
def sentinel_set() -> Iterator[LocalSentinelSet]:
    """This module's own set: its test fails the primary over."""
    with LocalSentinelSet() as sentinel_set:
        yield sentinel_set


async def test_a_sentinel_pool_closes_a_bursts_connections_down_to_the_floor(
    redis_sentinel: LocalSentinelSet,
) -> None:
    async with after_a_burst(redis_sentinel.topology) as (client, name):
        primary = redis_sentinel.primary_port()
        assert connections_named(primary, name) == BURST
        await close_idle(client)
        assert await close_idle(client) == BURST - WARM_CONNECTIONS
        assert connections_named(primary, name) == WARM_CONNECTIONS
        assert await client.ping()


async def test_closing_idle_connections_through_a_failover_leaves_the_pool_on_the_new_primary(
    sentinel_set: LocalSentinelSet,
) -> None:
    async with after_a_burst(sentinel_set.topology) as (client, name):
        old = sentinel_set.primary_port()
        async with closing_idle_connections(client, idle_s=IDLE_S, clock=SystemClock()):
            new = await asyncio.to_thread(sentinel_set.failover)  # periods end meanwhile

            async def on_the_new_primary() -> bool:
                await client.set(name, "after")
                return connections_named(new, name) > 0

            written = "a write after the failover"
            await eventually(on_the_new_primary, 15.0, written, not_yet=(RedisError,))
            await burst(client, BURST)  # all of it on the new primary
            assert connections_named(new, name) == BURST

            async def back_to_the_floor() -> bool:
                return connections_named(new, name) == WARM_CONNECTIONS

            await eventually(back_to_the_floor, 10.0, "the new primary's floor")
            assert connections_named(old, name) == 0
            assert await client.get(name) == b"after"


async def test_each_cluster_node_closes_a_bursts_connections_down_to_the_floor(
    redis_cluster: LocalRedisCluster,
) -> None:
    redis_cluster.wait_until_ok()  # a test before may have failed a primary over
    async with after_a_burst(cluster_topology(redis_cluster)) as (client, name):
        assert isinstance(client, RedisCluster)
        owner = redis_cluster.owner_of(f"{{{name}}}").port
        # beside the node's pool, the client may hold one more: the one it found the
        # cluster's slots on, when this node was that first one
        besides = connections_named(owner, name) - BURST
        assert besides in (0, 1)
        await close_idle(client)
        assert await close_idle(client) == BURST - WARM_CONNECTIONS
        assert connections_named(owner, name) == WARM_CONNECTIONS + besides
        assert await client.set(name, "after", ex=60) and await client.get(name) == b"after"
        await burst(client, BURST, key=f"{{{name}}}")
        assert connections_named(owner, name) == BURST + besides  # the next burst opens anew
