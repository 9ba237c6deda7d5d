"""While Redis is down, the workers of one instance still make one fetch per cold city."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.test_redis_outage import KEEPALIVE, eventually, redis_ok
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]


async def test_a_cold_city_is_fetched_once_by_an_instance_of_two_workers_while_redis_is_down(
    start_app: StartApp, own_redis_server: LocalRedisServer, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app(
        {"REDIS_URL": own_redis_server.url, "NEAR_CACHE_TTL": "0"},
        workers=2,
    )
    limits = httpx.Limits(max_connections=200, keepalive_expiry=KEEPALIVE.keepalive_expiry)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=limits) as client:
        assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
        own_redis_server.kill()
        await eventually(lambda: _down(client), 5, "redis_ok: false")
        await fake_open_meteo.aset(latency_s=0.5)
        before = await fake_open_meteo.acalls()
        answers = await asyncio.gather(
            *(client.get("/weather", params={"city": "Topeka"}) for _ in range(200))
        )
        after = await fake_open_meteo.acalls()

    assert [r.status_code for r in answers] == [200] * 200
    assert after["geocoding"] - before["geocoding"] == 1
    assert after["forecast"] - before["forecast"] == 1
    # One fetch (no second worker's MISS): every other request joined it, or, sent after it
    # ended (on a busy machine 200 requests take a while to go out), read what it stored.
    outcomes = Counter(r.headers["x-cache"] for r in answers)
    assert outcomes["MISS"] == 1, outcomes
    assert outcomes["COALESCED"] > 0, outcomes
    assert set(outcomes) <= {"MISS", "COALESCED", "HIT"}, outcomes


async def _down(client: httpx.AsyncClient) -> bool:
    return not await redis_ok(client)
