"""The Redis client's first ping and warm-up, against a real server and a closed port."""

from __future__ import annotations

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
