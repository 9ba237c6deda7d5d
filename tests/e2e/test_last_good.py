"""The worker's last good copy serves whenever the fetch fails: also when Redis answers,
but has lost the entry (flushed, restarted empty) during an upstream outage."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import HOT_CITIES

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.parametrize("fault", ["error500", "timeout", "missing_temperature"])
async def test_redis_flushed_during_an_upstream_outage_costs_no_5xx_for_cities_the_worker_served(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis, fault: str
) -> None:
    app = start_app({"NEAR_CACHE_TTL": "0", "UPSTREAM_TIMEOUT": "0.5"})
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        for city in HOT_CITIES:
            assert (await client.get("/weather", params={"city": city})).status_code == 200
        await fake_open_meteo.aset(mode=fault, endpoint="forecast")
        await redis_client.flushdb()  # the app's database: a FLUSHALL as the app sees it
        rounds = [[await client.get("/weather", params={"city": city}) for city in HOT_CITIES]]
        after_first = (await fake_open_meteo.acalls())["forecast"]
        rounds += [
            [await client.get("/weather", params={"city": city}) for city in HOT_CITIES]
            for _ in range(2)
        ]
        restored = await redis_client.exists(
            *(f"skycache:v2:{{{c.lower()}}}:weather" for c in HOT_CITIES)
        )

    statuses = [r.status_code for answers in rounds for r in answers]
    assert statuses == [200] * len(statuses)
    for response in rounds[0]:
        assert response.headers["x-cache"] == "STALE"
        assert response.json()["stale"] is True
    # Written back with a back-off: the next rounds came from Redis, not the failing upstream.
    assert restored == len(HOT_CITIES)
    calls = (await fake_open_meteo.acalls())["forecast"]
    print(f"\n{fault}: {len(statuses)} answers, 0 5xx; forecast calls {calls}")
    assert calls == after_first  # once served from the copy, a city costs no more tries
