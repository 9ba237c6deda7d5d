"""A lock owner that dies, and waiters whose deadline comes before the value does."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from redis.asyncio import Redis

from adapters.redis.keys import lease_key
from domain.model.query import WeatherQuery
from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.e2e.stampede import ENV, warmed
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Reply, burst, get_once, weather_target
from tests.support.waiting import eventually

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
    env = {**ENV, "LOCK_TTL": "1"}
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


async def test_a_waiter_on_another_instance_gets_an_answer_that_took_the_owner_11_s(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    """At the defaults, 2.7 s a request: the owner waits out another city's two calls for
    its slot, then makes its own, about 10.8 s in all; a waiter that came as the owner took
    the lease used to give up at 10 s."""
    env = {**ENV, "UPSTREAM_TIMEOUT": "5"}  # the default
    owner, other = start_app(env), start_app(env)
    await warmed([owner.url, other.url], fake_open_meteo, 100)
    await fake_open_meteo.aset(latency_s=2.7)
    lease = lease_key(WeatherQuery.parse("Chicago").key)

    async def calls_made(endpoint: str) -> bool:
        return (await fake_open_meteo.acalls())[endpoint] >= 1

    async def lease_taken() -> bool:
        return bool(await redis_client.exists(lease))

    async with asyncio.timeout(60):
        ahead = asyncio.create_task(get_once(owner.url, weather_target("Denver")))
        await eventually(lambda: calls_made("geocoding"), 10, "Denver's geocoding call")
        fetch = asyncio.create_task(get_once(owner.url, CITY))  # queued behind Denver's
        await eventually(lease_taken, 10, "Chicago's lease")
        replies = await burst([other.url], CITY, 20)
        owners, denver = await fetch, await ahead
    assert (denver.status, owners.status, owners.cache) == (200, 200, "MISS")
    assert Counter((r.status, r.cache) for r in replies) == {(200, "COALESCED"): 20}
    # Four 2.7 s calls one after another: the waiters' answer came after all of them.
    assert min(r.done_at for r in replies) >= denver.sent_at + 4 * 2.7
    assert await fake_open_meteo.acalls() == {"geocoding": 2, "forecast": 2}


async def test_a_failed_fetch_fails_its_waiters_at_once_not_at_their_deadline(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # No retry, so the owner's one call fails; waiters would otherwise wait a minute.
    env = {**ENV, "UPSTREAM_RETRIES": "0"}
    fault = {"latency_s": 1, "mode": "error500"}
    other, fetch = await fetch_in_flight_elsewhere(start_app, fake_open_meteo, env, **fault)
    async with asyncio.timeout(10):
        replies = await burst([other.url], CITY, 50)
        owners = await fetch
    assert owners.status == 503
    assert Counter(r.status for r in replies) == {503: 50}
    assert {r.json()["error"] for r in replies} == {"upstream_unavailable"}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
