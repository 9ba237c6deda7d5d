"""Valkey in place of Redis: the whole service on a valkey-server, through the Redis adapters.

The Cache, Lock and Metrics contract suites run against Valkey too (tests/contract); this
shows the service itself: a cluster-wide fetch, hits from Valkey, counters summed there.
Skipped, with the reason, where no valkey-server is found (see tests/support/fixtures_valkey).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.app_server import AppServer

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def test_the_server_under_test_really_is_valkey(valkey_redis: Redis) -> None:
    info = await valkey_redis.info("server")
    assert "valkey_version" in info, "a Redis answered where a Valkey was expected"


@pytest.fixture
def app_on_valkey(valkey_server_url: str, valkey_redis: Redis) -> Iterator[AppServer]:
    env = {
        "REDIS_URL": valkey_server_url,
        "SKYCACHE_CACHE": "redis",  # refuse to start rather than fall back to memory
        "WEATHER_PROVIDER": "simulated",
        "SIMULATED_LATENCY": "0",
        "NEAR_CACHE_TTL": "0",
        "METRICS_FLUSH_INTERVAL": "0.1",
    }
    with AppServer(env, workers=2) as app:
        yield app


async def test_the_service_caches_locks_and_counts_on_valkey(
    app_on_valkey: AppServer, valkey_redis: Redis
) -> None:
    async with httpx.AsyncClient(base_url=app_on_valkey.url) as client:
        first = await client.get("/weather", params={"city": "Reykjavík"})
        again = [await client.get("/weather", params={"city": "reykjavík"}) for _ in range(5)]
        health = (await client.get("/healthz")).json()
        stats = (await client.get("/stats")).json()

    assert first.status_code == 200 and first.headers["x-cache"] == "MISS"
    assert {r.headers["x-cache"] for r in again} == {"HIT"}  # from Valkey, either worker
    assert health["redis_ok"] is True and health["cache"] == "redis"
    assert stats["api_calls"] == 1
    assert await valkey_redis.exists("skycache:v2:{reykjavík}:weather") == 1
