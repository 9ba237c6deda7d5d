"""Fixtures for a Redis Cluster (3 primaries, 3 replicas), on which the adapters must hold
the same contracts as on one node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio.cluster import RedisCluster

from adapters.redis.client import create_redis_client
from adapters.redis.topology import RedisTopology
from tests.support.processes import started
from tests.support.redis_cluster import LocalRedisCluster


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalRedisCluster]:
    """One cluster per session: under pytest-xdist, one per worker, on its own ports."""
    with started(LocalRedisCluster(), "the Redis Cluster") as cluster:
        yield cluster


def cluster_topology(cluster: LocalRedisCluster) -> RedisTopology:
    # One node is enough: the client discovers the others.
    return RedisTopology("redis://127.0.0.1:6379/0", cluster_nodes=tuple(cluster.addresses[:1]))


@pytest.fixture
async def cluster_redis(redis_cluster: LocalRedisCluster) -> AsyncIterator[RedisCluster]:
    """A client on the emptied cluster, like `redis_client` on one node; closed afterwards."""
    redis_cluster.wait_until_ok()  # a test before may have failed a primary over
    client = create_redis_client(
        cluster_topology(redis_cluster), timeout_s=2.0, connect_timeout_s=2.0
    )
    assert isinstance(client, RedisCluster)
    await client.flushall(target_nodes=RedisCluster.PRIMARIES)
    try:
        yield client
    finally:
        await client.aclose()
