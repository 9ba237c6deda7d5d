"""Optional per-client rate limiting (RATE_LIMIT), shared by the workers through Redis, in
front of the near cache."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.redis_server import LocalRedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Counter flushes would be Redis commands too.
QUIET = {"METRICS_FLUSH_INTERVAL": "3600"}


async def get_weather(app: AppServer, client_ip: str = "10.0.0.1") -> httpx.Response:
    # A new connection each time, so that both workers take turns. uvicorn trusts
    # X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS), as from a local proxy.
    async with httpx.AsyncClient(base_url=app.url) as client:
        headers = {"X-Forwarded-For": client_ip}
        return await client.get("/weather", params={"city": "Boise"}, headers=headers)


async def test_rate_limiting_is_off_by_default(start_app: StartApp) -> None:
    app = start_app()
    statuses = {(await get_weather(app)).status_code for _ in range(30)}
    assert statuses == {200}


async def test_a_client_over_its_limit_gets_a_json_429_with_retry_after(
    start_app: StartApp, redis_client: Redis
) -> None:
    app = start_app({"RATE_LIMIT": "5/minute"}, workers=2)
    responses = [await get_weather(app) for _ in range(8)]
    other_client = await get_weather(app, client_ip="10.0.0.2")
    async with httpx.AsyncClient(base_url=app.url) as client:
        health = await client.get("/healthz", headers={"X-Forwarded-For": "10.0.0.1"})

    assert [r.status_code for r in responses] == [200] * 5 + [429] * 3
    refused = responses[-1]
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["status_code"] == 429
    # Until the first request leaves the window, which counts its oldest second whole.
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert other_client.status_code == 200
    assert health.status_code == 200  # probes are not limited
    assert await redis_client.keys("skycache:v2:ratelimit*")  # one count for both workers


async def test_the_near_cache_does_not_let_warm_hits_skip_the_limit(start_app: StartApp) -> None:
    app = start_app({"RATE_LIMIT": "3/minute", "NEAR_CACHE_TTL": "30"})
    statuses = [(await get_weather(app)).status_code for _ in range(5)]
    assert statuses == [200] * 3 + [429] * 2


async def test_with_a_rate_limit_the_near_cache_still_answers_without_redis_reads(
    start_app: StartApp, redis_client: Redis
) -> None:
    requests = 50
    app = start_app({"RATE_LIMIT": "1000/minute", "NEAR_CACHE_TTL": "30", **QUIET})
    assert (await get_weather(app)).headers["x-cache"] == "MISS"
    before = await _reads_and_scripts(redis_client)
    hits = [await get_weather(app) for _ in range(requests)]
    after = await _reads_and_scripts(redis_client)
    assert {(r.status_code, r.headers["x-cache"]) for r in hits} == {(200, "HIT")}
    # No hit read Redis (a Redis hit is one GET each): the near cache answered them all.
    # The limiter's leases are one script each, a few a second at this slow pace (a new
    # connection per request); at load they hold up to 250 requests each.
    assert after["reads"] == before["reads"]
    assert after["scripts"] - before["scripts"] < requests // 2


async def _reads_and_scripts(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")

    def calls(*names: str) -> int:
        return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in names)

    # The scripts' own commands are counted too: reads are the GETs and MGETs of entries.
    return {"reads": calls("get", "mget"), "scripts": calls("evalsha", "eval")}


async def test_the_limiter_counts_in_memory_while_redis_is_down_instead_of_failing(
    start_app: StartApp,
) -> None:
    with LocalRedisServer() as redis_server:
        app = start_app({"RATE_LIMIT": "1000/minute", "REDIS_URL": redis_server.url})
        assert (await get_weather(app)).status_code == 200
        redis_server.kill()
        statuses = {(await get_weather(app)).status_code for _ in range(10)}
    assert statuses == {200}
