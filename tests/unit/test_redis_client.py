"""The Redis client factory: what a URL and the parameters turn into (no server needed)."""

from __future__ import annotations

from redis.asyncio.connection import SSLConnection

from adapters.redis.client import create_redis_client


async def test_credentials_db_and_tls_come_from_the_url() -> None:
    client = create_redis_client("rediss://cache:s3cret@redis.internal:6380/2")
    try:
        pool = client.connection_pool
        kwargs = pool.connection_kwargs
        assert pool.connection_class is SSLConnection
        assert (kwargs["username"], kwargs["password"]) == ("cache", "s3cret")
        assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.internal", 6380, 2)
    finally:
        await client.aclose()


async def test_pool_size_and_timeouts_are_parameters() -> None:
    client = create_redis_client(
        "redis://localhost:6379/0", max_connections=7, timeout_s=0.3, connect_timeout_s=0.1
    )
    try:
        kwargs = client.connection_pool.connection_kwargs
        assert client.connection_pool.max_connections == 7
        assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (0.3, 0.1)
    finally:
        await client.aclose()
