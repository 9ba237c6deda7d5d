"""Fixtures shared by every test package."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from adapters.redis.client import create_redis_client
from tests.support.redis_server import provide_redis_url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for the whole session: TEST_REDIS_URL, a testcontainer or a local server."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(provide_redis_url())
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        yield url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    """A client on an emptied database, for tests that need isolation; closed afterwards."""
    # Timeouts well above the service's: a busy 2-core CI box must not fail a test.
    client = create_redis_client(redis_url, timeout_s=2.0, connect_timeout_s=2.0)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


pytest_plugins = ["tests.support.fixtures_upstream", "tests.support.fixtures_valkey"]
