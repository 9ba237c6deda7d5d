"""A Redis restarted empty mid-fetch: the holder re-asserts its lease before anyone else
takes it, so two instances still fetch a city once at a time, and every request is answered."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

LEASE_S = 0.9  # the holder extends every LEASE_S / 3 = 0.3 s
FETCH_S = 1.5  # the forecast in flight outlasts the restart


async def _forecast_started(fake: FakeOpenMeteo, timeout_s: float = 10.0) -> float:
    deadline = time.monotonic() + timeout_s
    while (await fake.acalls())["forecast"] == 0:
        assert time.monotonic() < deadline, "the first fetch never reached the upstream"
        await asyncio.sleep(0.01)
    return time.monotonic()


def _overlapping(rows: list[tuple[str, float, float, str]]) -> list[tuple[float, float]]:
    spans = sorted((start, end) for _, start, end, _ in rows)
    return [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]


# Just before the holder's first extend tick (0.3 s into its lease) and just after it.
@pytest.mark.parametrize("restart_after_s", [0.2, 0.4])
async def test_a_restart_mid_fetch_lets_no_second_fetch_of_the_city_run(
    start_app: StartApp,
    own_redis_server: LocalRedisServer,
    fake_open_meteo: FakeOpenMeteo,
    restart_after_s: float,
) -> None:
    env = {"REDIS_URL": own_redis_server.url, "LOCK_TTL": str(LEASE_S), "NEAR_CACHE_TTL": "0"}
    instances = [start_app(env), start_app(env)]
    await fake_open_meteo.aset(latency_s=FETCH_S, endpoint="forecast")
    async with httpx.AsyncClient(timeout=30) as client:

        async def ask(instance: int) -> httpx.Response:
            url = f"{instances[instance].url}/weather"
            return await client.get(url, params={"city": "Boise"})

        first = asyncio.create_task(ask(0))
        started = await _forecast_started(fake_open_meteo)
        await asyncio.sleep(max(started + restart_after_s - time.monotonic(), 0))
        await asyncio.to_thread(own_redis_server.kill)
        await asyncio.to_thread(own_redis_server.start)  # empty: the lease is gone
        answers = await asyncio.gather(first, *(ask(i % 2) for i in range(6)))

    assert [r.status_code for r in answers] == [200] * 7
    rows = await asyncio.to_thread(fake_open_meteo.forecasts)
    assert _overlapping(rows) == []
    assert len(rows) == 1, rows  # the others waited for the holder, then read its answer
