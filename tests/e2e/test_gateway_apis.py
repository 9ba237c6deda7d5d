"""The gateway's other APIs, its HTTP caching, stale-if-error, and the official Python SDK
(openmeteo-requests) pointed at Skycache instead of Open-Meteo."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openmeteo_requests
import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.e2e.test_metrics import Samples, get, logged_requests, settled, total
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

AIR = "latitude=52.52&longitude=13.41&hourly=pm10,pm2_5"
ARCHIVE = (
    "latitude=52.52&longitude=13.41&start_date=2020-01-01&end_date=2020-01-31"
    "&daily=temperature_2m_max"
)


@pytest.fixture
async def log(fake_open_meteo: FakeOpenMeteo) -> GatewayLog:
    gateway = GatewayLog(fake_open_meteo)
    await gateway.reset()
    return gateway


@pytest.mark.parametrize(("path", "query"), [("/v1/air-quality", AIR), ("/v1/archive", ARCHIVE)])
async def test_air_quality_and_archive_reach_their_own_paths_and_are_cached(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog, path: str, query: str
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"{path}?{query}")
        again = await client.get(f"{path}?{query}")
    assert (first.status_code, again.status_code) == (200, 200)
    assert [call["path"] for call in await log.calls()] == [path]
    assert (again.content, again.headers["x-cache"]) == (first.content, "HIT")
    assert first.content == (await log.direct(path, query)).content


@pytest.mark.parametrize("path", ["/v1/forecast", "/v1/air-quality", "/v1/archive"])
async def test_etag_and_last_modified_make_304s_on_the_gateways_paths(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog, path: str
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    query = {"/v1/forecast": points_query([(52.52, 13.41)]), "/v1/air-quality": AIR}.get(
        path, ARCHIVE
    )
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"{path}?{query}")
        by_tag = await client.get(
            f"{path}?{query}", headers={"if-none-match": first.headers["etag"]}
        )
        by_date = await client.get(
            f"{path}?{query}", headers={"if-modified-since": first.headers["last-modified"]}
        )
    assert first.status_code == 200
    assert "max-age=" in first.headers["cache-control"]
    assert (by_tag.status_code, by_tag.content) == (304, b"")
    assert by_tag.headers["etag"] == first.headers["etag"]
    assert by_date.status_code == 304


async def test_after_expiry_a_failing_upstream_is_answered_with_the_last_good_copy(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    short = {"FORECAST_TTL": "1", "ARCHIVE_TTL": "1", "WEATHER_STALE_TTL": "1"}
    app = start_app({**gateway_env(fake_open_meteo), **short, "WEATHER_TTL_JITTER": "0"})
    query = points_query([(52.52, 13.41)])
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"/v1/forecast?{query}")
        await asyncio.sleep(2.5)  # past fresh and stale: Redis no longer holds it
        await log.control(mode="error500")
        later = await client.get(f"/v1/forecast?{query}")
    assert (later.status_code, later.content) == (200, first.content)
    assert later.headers["x-cache"] == "STALE"
    assert len(await log.calls()) == 3  # the first fetch, the one that failed and its retry


def sdk_values(url: str, method: str) -> list[tuple[float, float, list[float]]]:
    """Each location's coordinates and first hourly series, as the SDK decodes them."""
    client = openmeteo_requests.Client()
    params: dict[str, Any] = {
        "latitude": [52.52, 48.86],
        "longitude": [13.41, 2.35],
        "hourly": ["temperature_2m", "relative_humidity_2m"],
    }
    decoded = []
    for response in client.weather_api(f"{url}/v1/forecast", params, method=method):
        series = response.Hourly().Variables(0)
        values = [series.Values(i) for i in range(series.ValuesLength())]
        decoded.append((round(response.Latitude(), 2), round(response.Longitude(), 2), values))
    return decoded


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_official_sdk_through_skycache_decodes_the_upstreams_values(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog, method: str
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    through = await asyncio.to_thread(sdk_values, app.url, method)
    calls = len(await log.calls())
    again = await asyncio.to_thread(sdk_values, app.url, method)
    assert len(await log.calls()) == calls == 1  # the repeat cost no upstream call
    direct = await asyncio.to_thread(sdk_values, fake_open_meteo.url, method)
    assert through == again == direct
    assert [(lat, lon) for lat, lon, _ in through] == [(52.52, 13.41), (48.86, 2.35)]
    assert all(values for _, _, values in through)


async def test_a_stale_location_is_served_while_one_refresh_runs_and_counted_per_api(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    app = start_app(
        {**gateway_env(fake_open_meteo), "FORECAST_TTL": "1", "WEATHER_TTL_JITTER": "0"}
    )
    query = points_query([(52.52, 13.41)])
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"/v1/forecast?{query}")
        await asyncio.sleep(1.5)
        stale = [await client.get(f"/v1/forecast?{query}") for _ in range(5)]
        await eventually(lambda: has_calls(log, 2), 10, "the background refresh")
        fresh = await client.get(f"/v1/forecast?{query}")
        stats = (await client.get("/stats")).json()
        metrics = (await client.get("/metrics")).text
    assert first.headers["x-cache"] == "MISS"
    assert stale[0].headers["x-cache"] == "STALE"
    assert {r.content for r in stale} == {first.content}
    assert fresh.headers["x-cache"] == "HIT"
    assert len(await log.calls()) == 2  # the miss, and one refresh however many read it stale
    assert stats["gateway_api_calls_by_api"] == {"forecast": 2}
    assert stats["gateway_stale_by_api"]["forecast"] >= 1
    assert 'skycache_gateway_api_calls_by_api_total{api="forecast"}' in metrics


async def has_calls(log: GatewayLog, count: int) -> bool:
    return len(await log.calls()) >= count


async def test_near_cache_hits_are_counted_as_requests_like_every_other_answer(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    env = {"NEAR_CACHE_TTL": "60", "FORECAST_TTL": "3600", "LOG_LEVEL": "info"}
    app = start_app({**gateway_env(fake_open_meteo), **env})
    path = f"/v1/forecast?{points_query([(52.52, 13.41), (48.86, 2.35)])}"
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(path)
        near = [await client.get(path) for _ in range(5)]
        unchanged = await client.get(path, headers={"if-none-match": first.headers["etag"]})

    def counted(samples: Samples) -> bool:
        return total(samples, "skycache_http_requests_total", route="/v1/forecast") == 7

    samples = await settled(app, counted)
    assert [r.headers["x-cache"] for r in (first, *near)] == ["MISS"] + ["HIT"] * 5
    assert unchanged.status_code == 304
    for status, cache, count in [("200", "MISS", 1), ("200", "HIT", 5), ("304", "HIT", 1)]:
        labels = {"route": "/v1/forecast", "status": status, "cache": cache}
        assert total(samples, "skycache_http_requests_total", **labels) == count, labels
    assert total(samples, "skycache_gateway_hits_by_api_total", api="forecast") == 12
    stats = (await get(app, "/stats")).json()
    assert stats["gateway_hits_by_api"] == {"forecast": 12}  # 6 answers of 2 locations
    logged = await logged_requests(app, 8)
    assert [line["path"] for line in logged].count("/v1/forecast") == 7
    assert len(await log.calls()) == 1
