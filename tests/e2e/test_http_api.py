"""The three endpoints over real HTTP: uvicorn, Redis and the fake Open-Meteo."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_weather_is_fetched_once_then_served_from_redis(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    app = start_app(workers=2)
    async with httpx.AsyncClient(base_url=app.url) as client:
        first = await client.get("/weather", params={"city": "San Jose"})
        for _ in range(10):
            again = await client.get("/weather", params={"city": "san  JOSE"})
            assert again.status_code == 200
    assert first.status_code == 200
    body = first.json()
    assert body["city"] == "San Jose"
    assert isinstance(body["temperature"], float)
    assert isinstance(body["humidity"], int | float)
    assert isinstance(body["description"], str) and body["description"]
    assert first.headers["x-cache"] == "MISS"
    assert again.headers["x-cache"] == "HIT"
    assert "server" not in first.headers and "server" not in again.headers
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    assert await redis_client.exists("skycache:v2:{san jose}:weather") == 1


async def test_stats_are_summed_over_workers(start_app: StartApp) -> None:
    app = start_app({"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.1"}, workers=2)
    async with httpx.AsyncClient(base_url=app.url) as client:
        assert (await client.get("/stats")).json()["hit_ratio"] is None
        for _ in range(20):
            assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
        stats = (await client.get("/stats")).json()
    # Connections land on either worker; /stats flushes its own worker and reads the rest
    # from Redis, so allow the other worker one flush interval.
    assert stats["cache_hits"] + stats["cache_misses"] in range(18, 21)
    assert stats["cache_misses"] == 1
    assert stats["api_calls"] == 1
    assert 0.85 <= stats["hit_ratio"] <= 1


async def test_healthz_reports_redis_and_provider(start_app: StartApp) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get("/healthz")
    assert response.json() == {"redis_ok": True, "provider_ok": True, "cache": "redis"}


async def test_an_unknown_city_is_404_and_remembered(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        responses = [await client.get("/weather", params={"city": "Atlantis"}) for _ in range(5)]
    assert {r.status_code for r in responses} == {404}
    assert responses[0].json()["error"] == "city_not_found"
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 0}


BAD_QUERIES = [
    "",
    "city=",
    "city=" + "x" * 10_000,
    "city=San%0D%0AJose",
    "city=San%00Jose",
    "city=%1B%5B31m",
    "city=*",
    "city=San%2AJose",
    "city=%3Cscript%3E",
    "city=%FF%FE",
]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
async def test_bad_cities_get_a_json_4xx_and_write_nothing(
    start_app: StartApp, redis_client: Redis, fake_open_meteo: FakeOpenMeteo, query: str
) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get(f"/weather?{query}")
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == response.status_code
    assert "\r" not in "".join(response.headers.values())
    assert await redis_client.keys("weather:*") == []
    assert await fake_open_meteo.acalls() == {"geocoding": 0, "forecast": 0}


async def test_the_openapi_schema_and_docs_are_served(start_app: StartApp) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        docs = await client.get("/schema")
    assert {"/weather", "/stats", "/healthz"} <= set(schema["paths"])
    assert docs.status_code == 200
