"""A client on the primary a Redis Sentinel set names, following it through failovers."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection, parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError

from adapters.redis.sentinel_pool import FollowingSentinelPool
from adapters.redis.topology import RedisTopology


class _SentinelRedis(Redis):
    """Closing the client also stops its pool's watch and closes its Sentinel connections."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        pool = self.connection_pool
        if isinstance(pool, FollowingSentinelPool):
            await pool.stop_following()
        await super().aclose(close_connection_pool)
        if isinstance(pool, FollowingSentinelPool):
            await pool.sentinel_manager.aclose()


def create_sentinel_client(
    topology: RedisTopology,
    *,
    max_connections: int,
    timeout_s: float,
    connect_timeout_s: float = 0.2,
    health_check_interval_s: float = 15.0,
    client_name: str | None = "skycache",
) -> Redis:
    """The primary `topology.sentinel_master`, with REDIS_URL's user, password, db and TLS.

    redis-py's Sentinel pool looks the primary up for every new connection, and turns a
    READONLY reply (a demoted primary) into a ConnectionError that drops the connection:
    with one retry, a command after a failover reaches the new primary or fails as a
    Redis failure (breaker, last good copy), never as a 500. FollowingSentinelPool also
    moves pooled connections and the pub/sub reader once the Sentinels name a new primary.
    """
    sentinels = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]  # unannotated before redis 8.2
        list(topology.sentinels),
        # The Sentinels answer only "where is the primary": the same short timeouts, and no
        # retries with backoff of their own (redis-py's default), so that with every
        # Sentinel gone a call fails fast, as it does on one node, rather than in seconds.
        sentinel_kwargs={
            "socket_timeout": timeout_s,
            "socket_connect_timeout": connect_timeout_s,
            "retry": Retry(NoBackoff(), 0),
        },
    )
    client: Redis = sentinels.master_for(
        topology.sentinel_master,
        redis_class=_SentinelRedis,
        connection_pool_class=FollowingSentinelPool,
        max_connections=max_connections,
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=connect_timeout_s,
        health_check_interval=health_check_interval_s,
        retry=Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
        client_name=client_name,
        **_credentials(topology.url),
    )
    return client


def _credentials(url: str) -> dict[str, Any]:
    """What REDIS_URL says besides where: user, password, db, TLS and its options."""
    options: dict[str, Any] = dict(parse_url(url))
    options.pop("host", None)
    options.pop("port", None)
    if options.pop("connection_class", None) is SSLConnection:
        options["ssl"] = True  # the Sentinel pool then picks its own TLS connection class
    return options
