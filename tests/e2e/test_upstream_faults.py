"""Upstream faults against real processes: stale copies survive, errors say what happened,
and a failing or throttling Open-Meteo sees a trickle of calls, not the request rate."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo, closed_port_url
from tests.support.fake_open_meteo.cities import CITIES

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BREAKER_FAILURES, BREAKER_RESET_S, RETRIES = 3, 2.0, 1
FAULT_ENV = {
    "WEATHER_TTL": "1",
    "WEATHER_TTL_JITTER": "0",
    "NEAR_CACHE_TTL": "0",
    "UPSTREAM_TIMEOUT": "0.5",
    "UPSTREAM_RETRIES": str(RETRIES),
    "BREAKER_FAILURES": str(BREAKER_FAILURES),
    "BREAKER_RESET": str(BREAKER_RESET_S),
    # The floods below are one client's cold cities: the guard is under test, not the
    # per-client miss budget (tests/e2e/test_upstream_budget.py).
    "UPSTREAM_MISSES_PER_CLIENT": "0",
}
# fault id -> (control for the fake, status without a copy, words the error detail holds)
FAULTS: dict[str, tuple[dict[str, Any], int, str]] = {
    "error500": ({"mode": "error500"}, 503, "answered 500"),
    "error429": ({"mode": "error429"}, 503, "answered 429: Minutely"),
    "timeout": ({"mode": "timeout"}, 503, "timed out"),
    "dropped": ({"mode": "refuse"}, 503, "connection failed"),
    "bad_json": ({"mode": "bad_json"}, 502, "unusable body"),
    "missing_fields": ({"mode": "missing_fields"}, 502, "unusable body"),
    "wrong_shape": ({"mode": "wrong_shape"}, 502, "unusable body"),
    "slow_10s": ({"latency_s": 10}, 503, "timed out"),
}
ERROR_CODES = {
    502: {"upstream_bad_response"},
    503: {"upstream_unavailable", "upstream_rate_limited"},
}


def assert_json_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (502, 503), response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["status_code"] == response.status_code
    assert body["error"] in ERROR_CODES[response.status_code]
    assert "Traceback" not in body["detail"]
    if response.status_code == 503:
        assert int(response.headers["retry-after"]) >= 1
    return body


async def fill(client: httpx.AsyncClient, city: str) -> None:
    """Cache a copy; UPSTREAM_TIMEOUT=0.5 may be too short on a busy machine, so retry."""
    for _ in range(5):
        if (await client.get("/weather", params={"city": city})).status_code == 200:
            return
        await asyncio.sleep(BREAKER_RESET_S)  # in case those failures opened the breaker
    pytest.fail(f"could not cache {city} with a healthy upstream")


@pytest.fixture
async def client(start_app: StartApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of one service process started with FAULT_ENV."""
    app = start_app(FAULT_ENV)
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_cached_city_is_served_stale_and_an_uncached_one_gets_an_error_saying_why(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, fault: str
) -> None:
    control, status, words = FAULTS[fault]
    await fill(client, "San Jose")
    await asyncio.sleep(1.2)  # WEATHER_TTL=1 without jitter: the copy is stale now
    await fake_open_meteo.aset(**control)

    uncached = await client.get("/weather", params={"city": "Boise"})
    cached = await client.get("/weather", params={"city": "San Jose"})

    assert uncached.status_code == status
    assert words in assert_json_error(uncached)["detail"]
    if fault == "error429":
        assert int(uncached.headers["retry-after"]) >= 55  # the fake's Retry-After: 60
    assert cached.status_code == 200
    assert cached.json()["stale"] is True
    assert cached.headers["x-cache"] == "STALE"


async def _flood(client: httpx.AsyncClient, requests: int, parallel: int) -> list[httpx.Response]:
    """`requests` GETs for cities with no cached copy, `parallel` at a time."""
    names = itertools.cycle(row[0] for row in CITIES)
    responses: list[httpx.Response] = []
    for _ in range(requests // parallel):
        batch = [client.get("/weather", params={"city": next(names)}) for _ in range(parallel)]
        responses += await asyncio.gather(*batch)
    return responses


# Answers that are some city's problem, not the provider's (a field missing, of the wrong
# shape): the breaker leaves them alone, and each city's answer is remembered instead.
CITY_FAULTS = {"missing_fields", "wrong_shape"}


@pytest.mark.parametrize("fault", sorted(set(FAULTS) - CITY_FAULTS))
async def test_while_the_fault_lasts_the_upstream_gets_a_trickle_not_the_request_rate(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, fault: str
) -> None:
    await fake_open_meteo.aset(**FAULTS[fault][0])
    started = time.monotonic()
    responses = await _flood(client, requests=200, parallel=10)
    elapsed = time.monotonic() - started
    health = (await client.get("/healthz")).json()

    for response in responses:
        assert_json_error(response)
    calls = sum((await fake_open_meteo.acalls()).values())
    probes = int(elapsed / BREAKER_RESET_S) + 1
    assert calls <= BREAKER_FAILURES * (1 + RETRIES) + probes, (calls, elapsed)
    assert health["provider_ok"] is False


@pytest.mark.parametrize("fault", sorted(CITY_FAULTS))
async def test_an_answer_unusable_for_each_city_costs_one_call_per_city_and_no_breaker(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, fault: str
) -> None:
    await fake_open_meteo.aset(**FAULTS[fault][0])
    responses = await _flood(client, requests=200, parallel=10)
    health = (await client.get("/healthz")).json()

    for response in responses:
        assert assert_json_error(response)["error"] == "upstream_bad_response"
    calls = await fake_open_meteo.acalls()
    # 200 requests cycle through every known city: each one's answer is fetched once (its
    # geocoding is what is unusable), then remembered for UNUSABLE_TTL.
    assert calls["geocoding"] == len({row[0] for row in CITIES})
    assert calls["forecast"] == 0
    assert health["provider_ok"] is True


async def test_the_breaker_closes_once_the_upstream_answers_again(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo
) -> None:
    await fake_open_meteo.aset(mode="error500")
    await _flood(client, requests=10, parallel=1)
    assert (await client.get("/healthz")).json()["provider_ok"] is False
    await fake_open_meteo.aset(mode="ok")

    deadline = time.monotonic() + 4 * BREAKER_RESET_S
    while (await client.get("/weather", params={"city": "Boise"})).status_code != 200:
        assert time.monotonic() < deadline, "the breaker never let a probe through"
        await asyncio.sleep(0.2)
    health = (await client.get("/healthz")).json()

    assert health["provider_ok"] is True


async def test_a_refused_connection_is_a_503_that_says_so(start_app: StartApp) -> None:
    nowhere = closed_port_url()
    app = start_app(
        {**FAULT_ENV, "OPEN_METEO_GEOCODING_URL": nowhere, "OPEN_METEO_FORECAST_URL": nowhere}
    )
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        responses = [await client.get("/weather", params={"city": "Boise"}) for _ in range(10)]

    first = assert_json_error(responses[0])
    assert "connection failed (ConnectError)" in first["detail"]
    assert "circuit open" in assert_json_error(responses[-1])["detail"]
