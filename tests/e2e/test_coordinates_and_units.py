"""Points and units against real app processes: one cache entry and one upstream call per
grid cell and per city, whatever the units; hostile coordinates refused before Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import urlencode

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.keys import weather_key
from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap
from tests.support.http_load import burst_of, warm_up, weather_target

pytestmark = LOAD_TEST

ENV = {"NEAR_CACHE_TTL": "0", "UPSTREAM_TIMEOUT": "15"}


async def weather_keys(redis: Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=weather_key("*"))]


@pytest.fixture
async def urls(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> list[str]:
    """Two warm app processes; no weather in Redis, the fake's calls forgotten, and a slow
    forecast (0.5 s), so that a burst arrives while the one upstream call is in flight."""
    urls = [start_app(ENV).url, start_app(ENV).url]
    await warm_up(urls, weather_target("Miami"))
    await fake_open_meteo.areset()
    await redis_client.delete(*await weather_keys(redis_client))
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    return urls


async def test_500_requests_for_50_points_of_one_cell_make_one_upstream_call(
    urls: list[str], fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    points = [f"/weather?lat=37.34{i:02d}&lon=-121.886{i:02d}" for i in range(50)]
    async with asyncio.timeout(30):
        replies = await burst_of(urls, points * 10)
    assert Counter(r.status for r in replies) == {200: 500}
    assert await fake_open_meteo.acalls() == {"geocoding": 0, "forecast": 1}
    assert Counter(r.cache for r in replies)["MISS"] == 1
    bodies = [r.json() for r in replies]
    assert {(b["city"], b["latitude"], b["longitude"]) for b in bodies} == {(None, 37.34, -121.89)}
    assert len({b["temperature"] for b in bodies}) == 1
    assert len(await weather_keys(redis_client)) == 1


async def test_a_city_asked_in_both_units_is_one_upstream_call_and_one_redis_key(
    urls: list[str], fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    targets = [
        "/weather?" + urlencode({"city": "Seattle", "units": units})
        for units in ("metric", "imperial")
    ]
    async with asyncio.timeout(30):
        replies = await burst_of(urls, targets * 250)
    assert Counter(r.status for r in replies) == {200: 500}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    assert len(await weather_keys(redis_client)) == 1
    by_units = {r.json()["units"]: r for r in replies}
    metric, imperial = by_units["metric"].json(), by_units["imperial"].json()
    assert imperial["temperature"] == round(metric["temperature"] * 9 / 5 + 32, 1)
    assert by_units["metric"].headers["etag"] != by_units["imperial"].headers["etag"]
    async with httpx.AsyncClient(base_url=urls[0]) as client:
        default = await client.get("/weather", params={"city": "Seattle"})
    assert default.json() == metric | {"age_seconds": default.json()["age_seconds"]}


async def test_openweathermap_answers_a_point_with_no_geocoding_and_no_name(
    start_app: StartApp, fake_openweathermap: FakeOpenWeatherMap
) -> None:
    app = start_app(
        {
            "WEATHER_PROVIDER": "openweathermap",
            "OPENWEATHER_URL": fake_openweathermap.url,
            "OPENWEATHER_API_KEY": fake_openweathermap.api_key,
        }
    )
    async with httpx.AsyncClient(base_url=app.url) as client:
        first = await client.get("/weather", params={"lat": "37.3394", "lon": "-121.895"})
        again = await client.get("/weather", params={"lat": "37.341", "lon": "-121.8951"})
    assert (first.status_code, first.headers["x-cache"]) == (200, "MISS")
    assert (again.status_code, again.headers["x-cache"]) == (200, "HIT")
    body = first.json()
    assert (body["city"], body["latitude"], body["longitude"]) == (None, 37.34, -121.9)
    assert body["provider"] == "openweathermap"
    assert await fake_openweathermap.acalls() == {"weather": 1}


HOSTILE = [
    {"lat": "NaN", "lon": "0"},
    {"lat": "nan", "lon": "nan"},
    {"lat": "inf", "lon": "0"},
    {"lat": "-Infinity", "lon": "0"},
    {"lat": "1e309", "lon": "0"},
    {"lat": "37.34abc", "lon": "-121.89"},
    {"lat": "9" * 1_900, "lon": "0"},  # the longest a request line may be (2 KB)
    {"lat": "91", "lon": "0"},
    {"lat": "0", "lon": "-180.01"},
    {"lat": "37.34"},
    {"lon": "-121.89"},
    {"city": "San Jose", "lat": "37.34", "lon": "-121.89"},
    {"city": "San Jose", "lat": "37.34"},
    {"lat": "", "lon": ""},
    {"city": "San Jose", "units": "kelvin"},
    {"lat": "37.34", "lon": "-121.89", "units": ""},
]


async def test_hostile_coordinates_are_400s_that_write_nothing_to_redis(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    app = start_app(ENV | {"METRICS_FLUSH_INTERVAL": "0.1"})
    await asyncio.sleep(0.3)  # whatever start-up writes is written
    before = {key: await redis_client.dump(key) async for key in redis_client.scan_iter()}
    async with httpx.AsyncClient(base_url=app.url) as client:
        replies = [await client.get("/weather", params=params) for params in HOSTILE]
        # 10,000 digits never reach the parser: the request line is over its 2 KB limit.
        too_long = await client.get("/weather", params={"lat": "9" * 10_000, "lon": "0"})
    assert [r.status_code for r in replies] == [400] * len(HOSTILE), [r.text for r in replies]
    errors = Counter(r.json()["error"] for r in replies)
    assert set(errors) == {"invalid_coordinates", "invalid_query"}, errors
    assert all(r.json()["status_code"] == 400 for r in replies)
    assert (too_long.status_code, too_long.json()["error"]) == (414, "uri_too_long")
    await asyncio.sleep(0.3)  # past a flush of the counters, had anything been counted
    after = {key: await redis_client.dump(key) async for key in redis_client.scan_iter()}
    assert after == before  # not one key written, not one counter bumped
    assert await fake_open_meteo.acalls() == {"geocoding": 0, "forecast": 0}
