"""One redis.asyncio client per process: opening, first ping and warm-up."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis.sentinel import create_sentinel_client
from adapters.redis.topology import RedisClient, RedisTopology

DEFAULT_POOL_MAX = 200
# The connections a pool opens at start-up (warm_pool) and keeps however idle it stands.
WARM_CONNECTIONS = 8
# What ping_failure says when Redis answers but has no database of REDIS_URL's index: a
# setting to fix, not an outage to wait out.
DB_OUT_OF_RANGE = "ERR DB index is out of range"


def create_redis_client(
    where: str | RedisTopology,
    *,
    max_connections: int = DEFAULT_POOL_MAX,
    timeout_s: float = 0.25,
    connect_timeout_s: float = 0.2,
    health_check_interval_s: float = 15.0,
    client_name: str | None = "skycache",
) -> RedisClient:
    """A URL (one node), or a topology: one node, a cluster, or the primary a Sentinel set
    names.

    Timeouts are short on purpose: a slow cache must degrade to a miss, not stall requests.
    """
    topology = RedisTopology(where) if isinstance(where, str) else where
    options: dict[str, Any] = {
        "max_connections": max_connections,  # on a cluster: per node
        "socket_timeout": timeout_s,
        "socket_connect_timeout": connect_timeout_s,
        "health_check_interval": health_check_interval_s,
        # One immediate retry on a broken connection covers the stale pooled sockets a Redis
        # restart leaves behind (on a cluster, after re-reading the slot map, so it follows
        # a failover); timeouts are not retried, so a slow Redis is not hammered.
        "retry": Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
        "client_name": client_name,
    }
    if topology.mode == "cluster":
        return _cluster_client(topology, options)
    if topology.mode == "sentinel":
        return create_sentinel_client(
            topology,
            max_connections=max_connections,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            health_check_interval_s=health_check_interval_s,
            client_name=client_name,
        )
    # A burst beyond the pool waits `timeout` for a free connection, then fails over.
    pool = BlockingConnectionPool.from_url(topology.url, timeout=timeout_s, **options)
    # from_pool: closing the client closes the pool too.
    return Redis.from_pool(pool)


def _cluster_client(topology: RedisTopology, options: dict[str, Any]) -> RedisCluster:
    """The URL's user, password and TLS options, for every node of the cluster.

    RedisCluster has no blocking pool: past `max_connections` a call fails at once
    (MaxConnectionsError, a ConnectionError), which the adapters treat like any Redis
    failure, as the single node's pool does after its short wait.
    """
    from_url: dict[str, Any] = dict(parse_url(topology.url))
    for unused in ("db", "host", "port"):  # a cluster has only db 0 (settings refuse another)
        from_url.pop(unused, None)
    if from_url.pop("connection_class", None) is not None:
        from_url["ssl"] = True  # rediss://: parse_url names the SSL connection class
    nodes = [ClusterNode(host, port) for host, port in topology.cluster_nodes]
    return RedisCluster(startup_nodes=nodes, **options, **from_url)


async def ping_failure(client: RedisClient, attempts: int = 3) -> str | None:
    """Why Redis cannot be used (the error's type only: no URL or secret), or None.

    A timeout is tried again: workers starting together on a busy host can miss the
    request timeout once, and that must not decide the backend for the process's life."""
    failure = None
    for _ in range(attempts):
        try:
            return None if await client.ping() else "no PONG"
        except RedisTimeoutError as e:
            failure = type(e).__name__
        except ResponseError as e:  # the SELECT redis-py sends on connecting
            return DB_OUT_OF_RANGE if "DB index is out of range" in str(e) else type(e).__name__
        except Exception as e:
            return type(e).__name__
    return failure


async def warm_pool(client: RedisClient, connections: int = WARM_CONNECTIONS) -> None:
    """Open a few pooled connections now: a cold burst that had to open them all at once
    on a busy host would time some out, open the breaker, and lose the cluster lock."""
    with contextlib.suppress(Exception):
        await asyncio.gather(*(client.ping() for _ in range(connections)))
