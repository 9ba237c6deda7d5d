"""Fixtures for Sentinel mode: a session's primary, replica and Sentinel, and a client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from adapters.redis.client import create_redis_client
from tests.support.processes import started
from tests.support.redis_sentinel import LocalSentinelSet


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[LocalSentinelSet]:
    """One set per session, so per xdist worker. Tests that fail it over start their own."""
    with started(LocalSentinelSet(), "the Sentinel set") as sentinel_set:
        yield sentinel_set


@pytest.fixture
async def sentinel_redis(redis_sentinel: LocalSentinelSet) -> AsyncIterator[Redis]:
    """A client on the Sentinel's primary, emptied, like `redis_client` on one node."""
    topology = redis_sentinel.topology
    client = create_redis_client(topology, timeout_s=2.0, connect_timeout_s=2.0)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()
