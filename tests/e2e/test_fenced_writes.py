"""Newer never replaced by older: a fetch paused past its lease, then resumed, writes
last, and the cache keeps the answer of the fetch that replaced it."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.envelope import decode_entry
from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LEASE_S = 1.0
FIRST_CODE, SECOND_CODE = 0, 95  # Clear sky from the first fetch, a thunderstorm after
KEY = "skycache:v2:{boise}:weather"


async def _forecast_started(fake: FakeOpenMeteo, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (await fake.acalls())["forecast"] == 0:
        assert time.monotonic() < deadline, "the first fetch never reached the upstream"
        await asyncio.sleep(0.02)


async def test_a_holder_paused_past_its_lease_does_not_overwrite_the_newer_answer(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    # The upstream timeout outlasts the pause, so the paused fetch completes on resuming.
    env = {"LOCK_TTL": str(LEASE_S), "UPSTREAM_TIMEOUT": "10", "NEAR_CACHE_TTL": "0"}
    first, second = start_app(env), start_app(env)
    await fake_open_meteo.aset(weather_code=FIRST_CODE, latency_s=0.5, endpoint="forecast")
    async with httpx.AsyncClient(timeout=30) as client:
        late = asyncio.create_task(client.get(f"{first.url}/weather", params={"city": "Boise"}))
        await _forecast_started(fake_open_meteo)
        os.killpg(first.pid, signal.SIGSTOP)  # its answer arrives while it cannot act
        try:
            await asyncio.sleep(0.5 + 3 * LEASE_S)  # the answer is sent, the lease lapses
            await fake_open_meteo.aset(weather_code=SECOND_CODE, latency_s=0)
            newer = await client.get(f"{second.url}/weather", params={"city": "Boise"})
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        older = await late  # answered once its fetch's (refused) write was tried
        again = await client.get(f"{first.url}/weather", params={"city": "Boise"})

    assert (await fake_open_meteo.acalls())["forecast"] == 2
    assert newer.status_code == older.status_code == 200
    assert newer.json()["description"] == "Thunderstorm"
    assert older.json()["description"] == "Clear sky"  # the older fetch did finish, last
    raw = await redis_client.get(KEY)
    assert raw is not None
    stored = decode_entry(raw)
    assert stored.weather is not None and stored.weather.description == "Thunderstorm"
    assert again.json()["description"] == "Thunderstorm"  # the paused one reads it too
