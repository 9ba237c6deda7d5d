"""One redis.asyncio client per process, and the translation of its errors into the domain's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError

from domain.errors import CacheUnavailable

DEFAULT_POOL_MAX = 200


def create_redis_client(
    url: str,
    *,
    max_connections: int = DEFAULT_POOL_MAX,
    timeout_s: float = 0.25,
    connect_timeout_s: float = 0.2,
    health_check_interval_s: float = 15.0,
    client_name: str | None = "skycache",
) -> Redis:
    """`url` may be redis:// or rediss:// and carry a user, password and db number.

    Timeouts are short on purpose: a slow cache must degrade to a miss, not stall requests.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        # A burst beyond the pool waits this long for a free connection, then fails over.
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=connect_timeout_s,
        health_check_interval=health_check_interval_s,
        # One immediate retry on a broken connection covers the stale pooled sockets a Redis
        # restart leaves behind; timeouts are not retried, so a slow Redis is not hammered.
        retry=Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
        client_name=client_name,
    )
    # from_pool: closing the client closes the pool too.
    return Redis.from_pool(pool)


async def close_redis_client(client: Redis) -> None:
    await client.aclose()


@contextlib.contextmanager
def unavailable_on_error(what: str) -> Iterator[None]:
    """No redis (or socket) exception crosses a port: they become CacheUnavailable."""
    try:
        yield
    except (RedisError, OSError) as e:  # OSError includes TimeoutError
        raise CacheUnavailable(f"redis {what} failed: {type(e).__name__}") from e
