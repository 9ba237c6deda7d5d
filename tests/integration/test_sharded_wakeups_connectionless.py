"""A cluster worker's wake-up reader whose shard lost its connection inside redis-py keeps
the event loop turning: the soak's cluster workers went to 100 % CPU and answered nothing
after a primary paused past the node timeout (issue 25)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from redis.asyncio.cluster import RedisCluster

from adapters.redis.client import create_redis_client
from adapters.redis.sharded_wakeups import ShardedWakeups
from tests.support.fixtures_cluster import cluster_topology
from tests.support.redis_cluster import LocalRedisCluster

pytestmark = pytest.mark.integration

TICK_S = 0.05
WATCH_S = 2.5  # past the reader's poll in flight (poll_s)


async def _ticks_beside_a_connectionless_shard(cluster: LocalRedisCluster) -> int:
    client = create_redis_client(cluster_topology(cluster), timeout_s=2.0)
    assert isinstance(client, RedisCluster)
    wakeups = ShardedWakeups(client, "t:{", "}:done", poll_s=1.0)
    try:
        wakeups.watch("chicago")
        await wakeups.ready(5.0, "chicago")
        await asyncio.sleep(0.1)  # its shard's reader is polling
        # A shard's pubsub as redis-py leaves it in the mapping before its first SSUBSCRIBE
        # (a new owner after a failover) or after its teardown closed it: no connection.
        # The reader's poll in flight ends within poll_s; the next ones find no connection.
        for pubsub in wakeups._pubsub.node_pubsub_mapping.values():
            pubsub.connection = None
        ticks = 0
        for _ in range(round(WATCH_S / TICK_S)):
            await asyncio.sleep(TICK_S)
            ticks += 1
        return ticks
    finally:
        await wakeups.aclose()
        await client.aclose()


def test_a_shard_left_without_its_connection_does_not_starve_the_event_loop(
    redis_cluster: LocalRedisCluster,
) -> None:
    redis_cluster.wait_until_ok()
    ticks: list[int] = []
    # Its own thread and loop: a starved loop would never return, so the test waits a
    # bounded time for it (a daemon thread does not outlive the session).
    runner = threading.Thread(
        target=lambda: ticks.append(
            asyncio.run(_ticks_beside_a_connectionless_shard(redis_cluster))
        ),
        daemon=True,
    )
    runner.start()
    runner.join(15.0)
    assert ticks == [round(WATCH_S / TICK_S)], "the event loop stopped turning"
