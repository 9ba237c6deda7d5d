"""The Redis client factory: what a URL and the parameters turn into (no server needed)."""

from __future__ import annotations

from redis.asyncio.connection import SSLConnection
from redis.asyncio.sentinel import SentinelManagedSSLConnection

from adapters.redis.client import create_redis_client
from adapters.redis.sentinel_pool import FollowingSentinelPool
from adapters.redis.topology import RedisTopology


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


async def test_a_sentinel_topology_takes_credentials_db_and_tls_from_the_url_not_its_host() -> None:
    topology = RedisTopology(
        "rediss://cache:s3cret@ignored.example:6380/2?ssl_cert_reqs=none",
        sentinels=(("s1", 26379), ("s2", 26379)),
        sentinel_master="weather",
    )
    client = create_redis_client(topology, max_connections=7, timeout_s=0.3)
    try:
        pool = client.connection_pool
        assert isinstance(pool, FollowingSentinelPool)
        assert pool.service_name == "weather"
        assert pool.connection_class is SentinelManagedSSLConnection
        assert pool.max_connections == 7  # bounded, and it waits for a free connection
        assert pool.timeout == 0.3
        kwargs = pool.connection_kwargs
        assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("cache", "s3cret", 2)
        assert kwargs["ssl_cert_reqs"] == "none"
        assert "host" not in kwargs  # the primary's address comes from the Sentinels
        asked = [r.connection_pool.connection_kwargs for r in pool.sentinel_manager.sentinels]
        assert [(k["host"], k["port"], k["socket_timeout"]) for k in asked] == [
            ("s1", 26379, 0.3),
            ("s2", 26379, 0.3),
        ]
    finally:
        await client.aclose()
