"""Newer never replaced by older, for the gateway: a holder paused past its lease, then
resumed, writes last; Redis, its last good copy and every answer keep the newer part."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.gateway_envelope import decode_part
from domain.model.gateway_part import StoredPart
from tests.e2e.conftest import StartApp
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LEASE_S = 1.0
QUERY = points_query([(52.52, 13.41)])


async def _call_started(log: GatewayLog, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await log.calls():
        assert time.monotonic() < deadline, "the first fetch never reached the upstream"
        await asyncio.sleep(0.02)


async def _stored(redis_client: Redis) -> StoredPart:
    """The one location's part: the only gateway part in Redis."""
    (name,) = [name async for name in redis_client.scan_iter(match="*}:part")]
    raw = await redis_client.get(name)
    assert raw is not None
    return decode_part(raw)


async def test_a_gateway_holder_paused_past_its_lease_does_not_overwrite_the_newer_part(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    log = GatewayLog(fake_open_meteo)
    await log.reset()
    env = {**gateway_env(fake_open_meteo), "LOCK_TTL": str(LEASE_S)}
    first, second = start_app(env), start_app(env)
    await log.control(latency_s=0.5)
    async with httpx.AsyncClient(timeout=30) as client:
        late = asyncio.create_task(client.get(f"{first.url}/v1/forecast?{QUERY}"))
        await _call_started(log)
        os.killpg(first.pid, signal.SIGSTOP)  # its answer arrives while it cannot act
        try:
            await asyncio.sleep(0.5 + 3 * LEASE_S)  # the answer is sent, the lease lapses
            await log.control(new_run=True, latency_s=0)  # new values from here on
            asked_ms = time.time() * 1000
            newer = await client.get(f"{second.url}/v1/forecast?{QUERY}")
            answered_ms = time.time() * 1000
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        older = await late  # answered once its fetch's (refused) write was tried
        stored = await _stored(redis_client)
        again = await client.get(f"{first.url}/v1/forecast?{QUERY}")
        upstream_now = await log.direct("/v1/forecast", QUERY)

    assert len(await log.calls()) == 3  # two fetches and our own direct call
    assert newer.status_code == older.status_code == again.status_code == 200
    assert newer.content == upstream_now.content  # the new run's values
    assert older.content == newer.content  # the late fetch answers with the kept part
    assert again.content == newer.content
    assert stored.body.replace(b'"location_id":1,', b"") == newer.content
    # Its fence is the second's lease: Redis' clock (this host's) during the second's request,
    # seconds after the first's lease was granted.
    assert asked_ms - 1000 < stored.fence < answered_ms + 1000


async def test_the_last_good_copy_written_back_is_the_newer_part(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    """Redis loses the part and the upstream fails: the paused process answers, and writes
    back, the newer part it kept a copy of, not its own older fetch's."""
    log = GatewayLog(fake_open_meteo)
    await log.reset()
    env = {**gateway_env(fake_open_meteo), "LOCK_TTL": str(LEASE_S), "NEAR_CACHE_TTL": "0"}
    first, second = start_app(env), start_app(env)
    await log.control(latency_s=0.5)
    async with httpx.AsyncClient(timeout=30) as client:
        late = asyncio.create_task(client.get(f"{first.url}/v1/forecast?{QUERY}"))
        await _call_started(log)
        os.killpg(first.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(0.5 + 3 * LEASE_S)
            await log.control(new_run=True, latency_s=0)
            newer = await client.get(f"{second.url}/v1/forecast?{QUERY}")
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        await late
        kept = await _stored(redis_client)
        await redis_client.flushall()  # Redis restarted empty, or evicted the part
        await log.control(mode="error500")
        stale = await client.get(f"{first.url}/v1/forecast?{QUERY}")
        restored = await _stored(redis_client)

    assert (stale.status_code, stale.headers["x-cache"]) == (200, "STALE")
    assert stale.content == newer.content
    assert restored == kept  # the newer part, its fence included
