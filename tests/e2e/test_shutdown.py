"""SIGTERM drains requests in flight, releases their locks, flushes the counters, exits 0."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.metrics import STATS_KEY
from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

CITIES = ("Boise", "Denver", "Austin", "Miami", "Seattle", "Topeka")


async def locks_held(redis: Redis) -> int:
    return len(await redis.keys("skycache:v2:*:lease"))


@pytest.mark.parametrize("workers", [1, 4])
async def test_sigterm_lets_requests_in_flight_finish_then_releases_locks_and_flushes_counts(
    start_app: StartApp, redis_client: Redis, fake_open_meteo: FakeOpenMeteo, workers: int
) -> None:
    # Counters reach Redis only through the flush at shutdown: the periodic one is an hour.
    # Six fetches run at once (the default cap of 1 would queue them past their timeout).
    env = {"METRICS_FLUSH_INTERVAL": "3600", "UPSTREAM_CONCURRENCY": "8"}
    app = start_app(env, workers=workers)
    await fake_open_meteo.aset(latency_s=1.0, endpoint="forecast")
    async with httpx.AsyncClient(base_url=app.url, timeout=15) as client:
        in_flight = [
            asyncio.create_task(client.get("/weather", params={"city": city})) for city in CITIES
        ]
        deadline = time.monotonic() + 5
        while await locks_held(redis_client) < len(CITIES):
            assert time.monotonic() < deadline, "the fetches never took their locks"
            await asyncio.sleep(0.02)
        exit_status = await asyncio.to_thread(app.stop, 15)
        responses = await asyncio.gather(*in_flight)

    assert [r.status_code for r in responses] == [200] * len(CITIES)
    assert {r.json()["city"] for r in responses} == set(CITIES)
    # The same status whatever the worker count: a clean stop is a success for an orchestrator.
    assert exit_status == 0
    assert await locks_held(redis_client) == 0
    stats = await redis_client.hgetall(STATS_KEY)
    assert int(stats[b"api_calls"]) == len(CITIES)
    assert int(stats[b"cache_misses"]) == len(CITIES)
    assert await redis_client.exists(
        *(f"skycache:v2:{{{c.lower()}}}:weather" for c in CITIES)
    ) == len(CITIES)


@pytest.mark.parametrize("workers", [1, 4])
async def test_sigterm_to_the_main_process_alone_drains_and_exits_0(
    start_app: StartApp, redis_client: Redis, fake_open_meteo: FakeOpenMeteo, workers: int
) -> None:
    app = start_app(workers=workers)
    await fake_open_meteo.aset(latency_s=1.0, endpoint="forecast")
    async with httpx.AsyncClient(base_url=app.url, timeout=15) as client:
        in_flight = asyncio.create_task(client.get("/weather", params={"city": "Boise"}))
        deadline = time.monotonic() + 5
        while await locks_held(redis_client) < 1:
            assert time.monotonic() < deadline, "the fetch never took its lock"
            await asyncio.sleep(0.02)
        exit_status = await asyncio.to_thread(app.terminate, 15)
        response = await in_flight
    assert response.status_code == 200
    assert exit_status == 0


@pytest.mark.parametrize("workers", [1, 2])
async def test_with_a_given_run_directory_sigterm_still_exits_0_and_keeps_it(
    start_app: StartApp, tmp_path: Path, workers: int
) -> None:
    # As the Kubernetes manifests run it: SKYCACHE_RUN_DIR on an emptyDir.
    run = tmp_path / "run"
    app = start_app({"SKYCACHE_RUN_DIR": str(run)}, workers=workers)
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
    assert await asyncio.to_thread(app.terminate, 15) == 0
    assert (run / "metrics").is_dir()
