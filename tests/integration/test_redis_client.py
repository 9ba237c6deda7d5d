"""The Redis client's first ping and warm-up, against a real server and a closed port."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from adapters.redis.client import create_redis_client, ping_failure, warm_pool
from tests.support.ports import free_port


async def test_a_server_that_answers_is_no_failure_and_warm_up_opens_connections(
    redis_url: str,
) -> None:
    client = create_redis_client(redis_url)
    try:
        assert await ping_failure(client) is None
        await warm_pool(client, connections=4)
        assert len(client.connection_pool._available_connections) >= 2  # several were opened
    finally:
        await client.aclose()


async def test_a_closed_port_is_named_by_its_error_type_only() -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    client = create_redis_client(url)
    try:
        failure = await ping_failure(client)
        assert failure is not None and "s3cret" not in failure and "127.0.0.1" not in failure
        await warm_pool(client)  # a warm-up never raises: the breaker handles what follows
    finally:
        await client.aclose()


async def _connections_named(redis_client: Redis, name: str) -> int:
    return sum(1 for each in await redis_client.client_list() if each.get("name") == name)


@pytest.mark.parametrize("at_once", [3, 8], ids=["as-many-as-the-bound", "more-than-it"])
async def test_a_worker_holds_no_more_redis_connections_than_its_pool_bound(
    redis_url: str, redis_client: Redis, at_once: int
) -> None:
    # The soak's FDs step up to the most connections a fault needed at once, and stay:
    # REDIS_POOL_MAX bounds them. A burst over it waits for a connection, opens none.
    name = f"pool-bound-{uuid.uuid4().hex[:8]}"
    client = create_redis_client(redis_url, max_connections=3, timeout_s=5.0, client_name=name)
    try:
        answers = await asyncio.gather(*(client.blpop([name], 0.1) for _ in range(at_once)))
        assert answers == [None] * at_once  # every command was answered
        assert await _connections_named(redis_client, name) == 3
    finally:
        await client.aclose()
