"""The Open-Meteo gateway over real processes, a real Redis and the fake upstream: one
upstream call per location cluster-wide, answers equal to the upstream's."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.e2e.stampede import warmed
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import burst

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

BERLIN = (52.52, 13.41)


@pytest.fixture
async def log(fake_open_meteo: FakeOpenMeteo) -> GatewayLog:
    gateway = GatewayLog(fake_open_meteo)
    await gateway.reset()
    return gateway


async def test_a_cold_stampede_over_two_processes_is_one_upstream_call(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    env = gateway_env(fake_open_meteo)
    urls = [start_app(env).url, start_app(env).url]
    # Redis pools filled first, as in the /weather stampede suites: on a starved 2-core box
    # a cold pool's connects can time out, and a lock that does not answer is no lock.
    await warmed(urls, fake_open_meteo)
    query = points_query([BERLIN], hourly="temperature_2m,relative_humidity_2m")
    await log.control(latency_s=0.5)  # every request arrives while the one call runs
    async with asyncio.timeout(60):
        replies = await burst(urls, f"/v1/forecast?{query}", 300)
    assert Counter(r.status for r in replies) == {200: 300}
    assert len(await log.calls()) == 1
    await log.control(latency_s=0)
    upstream = await log.direct("/v1/forecast", query)
    assert {r.body for r in replies} == {upstream.content}
    assert Counter(r.cache for r in replies)["MISS"] == 1
    by = Counter((r.url, r.cache) for r in replies)
    assert all(by[url, "COALESCED"] > 0 for url in urls), by  # both waited on one call


async def test_the_same_query_written_differently_costs_no_new_call(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    plain = "latitude=52.52&longitude=13.41&hourly=temperature_2m,relative_humidity_2m"
    rewritten = (
        "hourly=temperature_2m&longitude=13.410&hourly=relative_humidity_2m&latitude=52.5200"
        "&format=json"
    )
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"/v1/forecast?{plain}")
        again = await client.get(f"/v1/forecast?{rewritten}")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["x-cache"] == "HIT"
    assert len(await log.calls()) == 1


async def test_20_warm_and_5_new_locations_are_one_call_carrying_the_5(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    warm = [(40.0 + n / 4, 10.0 + n / 4) for n in range(20)]
    new = [(-30.0 - n, 100.0 + n) for n in range(5)]
    mixed = [*warm[:10], new[0], new[1], *warm[10:], *new[2:]]
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        assert (await client.get(f"/v1/forecast?{points_query(warm)}")).status_code == 200
        answer = await client.get(f"/v1/forecast?{points_query(mixed)}")
    calls = await log.calls()
    assert len(calls) == 2
    assert [tuple(point) for point in calls[1]["points"]] == [new[0], new[1], *new[2:]]
    assert answer.headers["x-cache-locations"] == "hit=20 miss=5 stale=0"
    upstream = await log.direct("/v1/forecast", points_query(mixed))
    assert answer.content == upstream.content


async def test_an_unknown_variable_is_open_meteos_400_and_its_repeat_stays_here(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    query = points_query([BERLIN], hourly="temperature_2m,no_such_variable")
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        first = await client.get(f"/v1/forecast?{query}")
        again = await client.get(f"/v1/forecast?{query}")
    upstream = await log.direct("/v1/forecast", query)
    assert (first.status_code, first.content) == (400, upstream.content)
    assert first.json()["error"] is True
    assert (again.status_code, again.content, again.headers["x-cache"]) == (
        400,
        upstream.content,
        "NEGATIVE",
    )
    assert len(await log.calls()) == 2  # Skycache's one, and the direct one


@pytest.mark.parametrize(
    "query",
    ["latitude=91&longitude=13.41&hourly=temperature_2m", "latitude=1&longitude=1&nope=1"],
)
async def test_a_request_skycache_refuses_is_a_400_with_no_upstream_call(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog, query: str
) -> None:
    app = start_app(gateway_env(fake_open_meteo))
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        answer = await client.get(f"/v1/forecast?{query}")
    assert answer.status_code == 400
    assert answer.json()["error"] is True and answer.json()["reason"]
    assert await log.calls() == []


async def test_a_budget_of_10_a_minute_spends_at_most_10_weighted_calls(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    app = start_app({**gateway_env(fake_open_meteo), "UPSTREAM_MAX_PER_MINUTE": "10"})
    # 20 variables over 2 locations: Open-Meteo counts each such call as 4.
    hourly = ",".join(f"temperature_{h}m" for h in (2, 80, 120, 180)) + ",relative_humidity_2m"
    hourly += ",dew_point_2m,apparent_temperature,precipitation,rain,showers,snowfall"
    hourly += ",snow_depth,weather_code,pressure_msl,surface_pressure,cloud_cover"
    hourly += ",cloud_cover_low,cloud_cover_mid,cloud_cover_high,visibility"
    statuses = []
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        for n in range(6):
            query = points_query([(10.0 + n, 20.0), (11.0 + n, 21.0)], hourly=hourly)
            statuses.append((await client.get(f"/v1/forecast?{query}")).status_code)
    calls = await log.calls()
    assert sum(call["weight"] for call in calls) <= 10
    assert calls and set(statuses) == {200, 503}
