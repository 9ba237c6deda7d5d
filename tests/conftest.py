"""Fixtures shared by every test package."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.asyncio import Redis

from tests.support.redis_server import LocalRedisServer, client_on, provide_redis_url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for the whole session: TEST_REDIS_URL, a testcontainer or a local server.

    Under pytest-xdist each worker is a process with its own session, so its own server;
    a shared TEST_REDIS_URL gives each worker its own database instead.
    """
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(provide_redis_url())
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... under xdist
        yield _database_of(url, worker) if worker and os.environ.get("TEST_REDIS_URL") else url


def _database_of(url: str, worker: str) -> str:
    # Keys and FLUSHDB stay in the worker's database; pub/sub channels are server-wide,
    # and the lock's wake-up channels are named by city: there, one server per worker is safer.
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker.removeprefix('gw'))}"))


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    """A client on an emptied database, for tests that need isolation; closed afterwards."""
    async with client_on(redis_url, flush=True) as client:
        yield client


@pytest.fixture
def own_redis_server() -> Iterator[LocalRedisServer]:
    """A server of the test's own, for tests that kill it: the session's must survive."""
    with LocalRedisServer() as server:
        yield server


pytest_plugins = [
    "tests.support.fixtures_upstream",
    "tests.support.fixtures_valkey",
    "tests.support.fixtures_sentinel",
    "tests.support.fixtures_cluster",
]
