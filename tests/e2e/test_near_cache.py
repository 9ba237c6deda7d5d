"""The near cache over real HTTP: warm hits never reach Redis, yet /stats counts them."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

REQUESTS = 50
# Flushes of the counters would be Redis commands too; /stats flushes on demand anyway.
QUIET = {"METRICS_FLUSH_INTERVAL": "3600"}


async def _commands(redis: Redis) -> int:
    return int((await redis.info("stats"))["total_commands_processed"])


async def test_warm_hits_are_answered_in_process_without_a_redis_command(
    start_app: StartApp, redis_client: Redis
) -> None:
    app = start_app({**QUIET, "NEAR_CACHE_TTL": "5"})
    async with httpx.AsyncClient(base_url=app.url) as client:
        first = await client.get("/weather", params={"city": "Boise"})
        before = await _commands(redis_client)
        hits = [await client.get("/weather", params={"city": "Boise"}) for _ in range(REQUESTS)]
        after = await _commands(redis_client)
        stats = (await client.get("/stats")).json()
    assert first.headers["x-cache"] == "MISS"
    assert {(r.status_code, r.headers["x-cache"]) for r in hits} == {(200, "HIT")}
    assert {r.content for r in hits} == {first.content}
    assert all(r.json()["age_seconds"] <= 5 for r in hits)
    # The first INFO is counted once it has run; nothing else may reach Redis.
    assert after - before <= 2
    assert stats["cache_misses"] == 1
    assert stats["cache_hits"] == REQUESTS


async def test_without_a_near_cache_each_hit_is_one_redis_command(
    start_app: StartApp, redis_client: Redis
) -> None:
    app = start_app({**QUIET, "NEAR_CACHE_TTL": "0"})
    async with httpx.AsyncClient(base_url=app.url) as client:
        await client.get("/weather", params={"city": "Boise"})
        before = await _commands(redis_client)
        hits = [await client.get("/weather", params={"city": "Boise"}) for _ in range(REQUESTS)]
        after = await _commands(redis_client)
    assert {r.headers["x-cache"] for r in hits} == {"HIT"}
    assert REQUESTS <= after - before <= REQUESTS + 2
