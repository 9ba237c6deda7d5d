"""A pooled connection whose socket closed under redis-py is a Redis failure (retried, or
CacheUnavailable), never another exception: under uvloop, as `skycache serve` runs."""

from __future__ import annotations

import asyncio

import pytest
import uvloop
from redis.asyncio import Redis

from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from domain.model.errors import CacheUnavailable
from tests.support.redis_server import LocalRedisServer

pytestmark = pytest.mark.integration


async def _read_through_a_closed_socket(url: str) -> str:
    client = create_redis_client(url)
    cache = RedisCache(client)
    try:
        assert await cache.get("paris") is None  # a pooled connection, idle after it
        assert isinstance(client, Redis)  # one node
        pool = client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]  # unannotated
        connection._writer.transport.close()  # what a peer's reset or a teardown leaves
        await pool.release(connection)
        await asyncio.sleep(0.05)  # the event loop finishes closing the handle
        try:
            return "miss" if await cache.get("paris") is None else "hit"
        except CacheUnavailable:
            return "unavailable"
    finally:
        await client.aclose()


def test_a_socket_closed_under_the_pool_is_retried_or_unavailable_never_a_crash(
    own_redis_server: LocalRedisServer,
) -> None:
    outcome = uvloop.run(_read_through_a_closed_socket(own_redis_server.url))
    assert outcome in ("miss", "unavailable")
