"""A lock owner that dies, and waiters whose deadline comes before the value does."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.e2e.stampede import ENV, warmed
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Reply, burst, get_once, weather_target

pytestmark = LOAD_TEST

CITY = weather_target("Chicago")


async def first_fetch_in_flight(owner: AppServer, fake: FakeOpenMeteo) -> asyncio.Task[Reply]:
    """Send one request to `owner` and return once its forecast call reached the upstream,
    so that `owner` holds the city's lease."""
    request = asyncio.create_task(get_once(owner.url, CITY))
    async with asyncio.timeout(10):
        while True:
            if (await fake.acalls())["forecast"] >= 1:
                return request
            await asyncio.sleep(0.02)


async def test_a_killed_lock_owner_is_replaced_by_exactly_one_takeover_fetch(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {**ENV, "LOCK_TTL": "1", "LOCK_WAIT_TIMEOUT": "20"}
    owner, *survivors = start_app(env), start_app(env), start_app(env)
    await warmed([s.url for s in survivors], fake_open_meteo)
    await fake_open_meteo.aset(latency_s=3, endpoint="forecast")
    doomed = await first_fetch_in_flight(owner, fake_open_meteo)
    waiters = asyncio.create_task(burst([s.url for s in survivors], CITY, 200))
    await asyncio.sleep(0.5)  # let the waiters park behind the owner's lease
    owner.kill()
    async with asyncio.timeout(30):
        replies = await waiters
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await doomed
    assert Counter(r.status for r in replies) == {200: 200}
    # The owner's call, then one takeover between the two survivors; the location was
    # cached by the owner before it died.
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 2}
    assert Counter(r.cache for r in replies) == {"MISS": 1, "COALESCED": 199}


async def fetch_in_flight_elsewhere(
    start_app: StartApp, fake: FakeOpenMeteo, env: dict[str, str], **fault: object
) -> tuple[AppServer, asyncio.Task[Reply]]:
    """Two warm processes on `env`; the first has CITY's fetch in flight, slowed or spoiled
    by `fault` (keys of the fake's /_control). Returns the other and the first's request."""
    owner, other = start_app(env), start_app(env)
    await warmed([other.url], fake, 100)
    await fake.aset(endpoint="forecast", **fault)
    return other, await first_fetch_in_flight(owner, fake)


async def test_waiters_give_up_at_the_wait_timeout_with_a_json_503(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {**ENV, "LOCK_TTL": "5", "LOCK_WAIT_TIMEOUT": "1"}
    other, fetch = await fetch_in_flight_elsewhere(start_app, fake_open_meteo, env, latency_s=3)
    async with asyncio.timeout(30):
        replies = await burst([other.url], CITY, 50)
        owners = await fetch
    assert Counter(r.status for r in replies) == {503: 50}
    assert {r.json()["error"] for r in replies} == {"upstream_wait_timed_out"}
    assert all(r.headers["content-type"].startswith("application/json") for r in replies)
    assert all("retry-after" in r.headers for r in replies)
    # They gave up rather than fetching themselves: the owner's call is still the only one.
    assert (owners.status, owners.cache) == (200, "MISS")
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}


async def test_a_failed_fetch_fails_its_waiters_at_once_not_at_their_deadline(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # No retry, so the owner's one call fails; waiters would otherwise wait 20 s.
    env = {**ENV, "LOCK_WAIT_TIMEOUT": "20", "UPSTREAM_RETRIES": "0"}
    fault = {"latency_s": 1, "mode": "error500"}
    other, fetch = await fetch_in_flight_elsewhere(start_app, fake_open_meteo, env, **fault)
    async with asyncio.timeout(10):
        replies = await burst([other.url], CITY, 50)
        owners = await fetch
    assert owners.status == 503
    assert Counter(r.status for r in replies) == {503: 50}
    assert {r.json()["error"] for r in replies} == {"upstream_unavailable"}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
