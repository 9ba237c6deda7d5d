"""Letting go of the Redis connections a burst opened, once they stand unused (REDIS_POOL_IDLE).

redis-py keeps every connection it opened until it breaks: after a Redis pause or restart
piled requests onto new ones, a worker would hold them for its life, against Redis'
`maxclients` and memory. Here, every idle period, each pool closes the connections that
stood free through all of it (its free list's low-water mark), down to the connections it
keeps warm. Only free connections are closed, out of the pool first: a request never sees
one close, and the next burst opens new ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from redis.asyncio import ConnectionPool
from redis.asyncio.cluster import ClusterNode, RedisCluster

from adapters.redis.client import WARM_CONNECTIONS
from adapters.redis.free_lists import close_unneeded
from adapters.redis.topology import RedisClient
from adapters.tasks import cancel_and_wait
from ports.clock import Clock

log = logging.getLogger("skycache.redis")


@asynccontextmanager
async def closing_idle_connections(
    client: RedisClient, *, idle_s: float, clock: Clock, floor: int = WARM_CONNECTIONS
) -> AsyncIterator[None]:
    """While open, `client`'s pools close what stood free a whole `idle_s` beyond
    `floor` each (0: never). The first period starts here."""
    if idle_s <= 0:
        yield
        return
    await close_idle(client, floor)  # watching starts: nothing is closed yet
    task = asyncio.create_task(_every_period(client, idle_s, clock, floor))
    try:
        yield
    finally:
        await cancel_and_wait(task)


async def close_idle(client: RedisClient, floor: int = WARM_CONNECTIONS) -> int:
    """End the period of each of `client`'s pools; how many connections were closed."""
    closed = await asyncio.gather(*(close_unneeded(pool, floor) for pool in pools_of(client)))
    return sum(closed)


def pools_of(client: RedisClient) -> Iterable[ConnectionPool | ClusterNode]:
    """One node's or the Sentinels' primary's pool, or one a cluster node (those known now:
    a node the slot map adds later is watched from the next period)."""
    if isinstance(client, RedisCluster):
        return list(client.nodes_manager.nodes_cache.values())
    return [client.connection_pool]


async def _every_period(client: RedisClient, idle_s: float, clock: Clock, floor: int) -> None:
    while True:
        await clock.sleep(idle_s)
        try:
            await close_idle(client, floor)
        except Exception as e:  # a pool's connections then stay, as they always did
            log.warning("closing idle Redis connections failed: %s", type(e).__name__)
