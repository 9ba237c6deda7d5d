"""POST /weather/batch against a real app process, a real Redis and the fake Open-Meteo:
per-item answers, each distinct name fetched once, one Redis round trip for the warm ones."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import CITIES

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KNOWN = [row[0] for row in CITIES[:35]]
UNKNOWN = [f"Atlantis {suffix}" for suffix in "ABCDEFGHIJ"]
REPEATS = [name.upper() for name in KNOWN[:5]]  # the same cities, spelt otherwise
BATCH = KNOWN + UNKNOWN + REPEATS  # 50 names, 45 distinct places
# The near cache holds no batch answers; off, so that no single GET is answered from it.
ENV = {"NEAR_CACHE_TTL": "0"}


async def reads(redis: Redis) -> Counter[str]:
    """How many GET and MGET commands Redis has run so far."""
    stats: dict[str, Any] = await redis.info("commandstats")
    return Counter(
        {cmd: stats.get(f"cmdstat_{cmd}", {}).get("calls", 0) for cmd in ("get", "mget")}
    )


async def test_a_batch_of_50_gets_50_answers_each_place_fetched_once_and_read_together(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    app = start_app(ENV)
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        cold = await client.post("/weather/batch", json={"cities": BATCH})
        assert await fake_open_meteo.acalls() == {"geocoding": 45, "forecast": 35}

        before = await reads(redis_client)
        warm = await client.post("/weather/batch", json={"cities": BATCH, "units": "imperial"})
        after = await reads(redis_client)

    for response in (cold, warm):
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["city"] for r in results] == BATCH
        assert Counter(r["status"] for r in results) == {200: 40, 404: 10}
        assert {r["error"]["error"] for r in results if r["status"] == 404} == {"city_not_found"}
        repeats = {r["city"].casefold(): r["weather"] for r in results[45:]}
        firsts = {r["city"].casefold(): r["weather"] for r in results[:5]}
        assert repeats == firsts
    assert await fake_open_meteo.acalls() == {"geocoding": 45, "forecast": 35}  # nothing more
    warm_results = warm.json()["results"]
    assert {r["cache"] for r in warm_results} == {"HIT", "NEGATIVE"}
    assert {r["weather"]["units"] for r in warm_results if r["weather"]} == {"imperial"}
    # 45 places, all in Redis: one MGET, not one GET each.
    assert after - before == Counter({"mget": 1})


async def test_invalid_names_fail_alone_and_a_bad_body_is_one_400(start_app: StartApp) -> None:
    app = start_app(ENV)
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        mixed = await client.post("/weather/batch", json={"cities": ["Boise", "<script>", ""]})
        refused = [
            await client.post("/weather/batch", json=body)
            for body in (
                {"cities": ["Boise"] * 51},
                {"cities": []},
                {"cities": "Boise"},
                {"cities": ["Boise"], "units": "kelvin"},
                {"cities": ["Boise"], "debug": True},
                ["Boise"],
            )
        ]
        garbage = await client.post(
            "/weather/batch", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert mixed.status_code == 200
    results = mixed.json()["results"]
    assert [(r["city"], r["status"]) for r in results] == [
        ("Boise", 200),
        ("<script>", 400),
        ("", 400),
    ]
    assert results[1]["error"]["error"] == "invalid_city"
    for response in [*refused, garbage]:
        assert response.status_code == 400, response.text
        assert response.json()["status_code"] == 400
        assert "Traceback" not in response.text
