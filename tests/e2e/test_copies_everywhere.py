"""Every worker keeps a copy of every write: a city Redis evicted (or lost) is still answered
stale while the upstream fails, by a process that never read it; a purge reaches every
copy, so a purged city is never served from one during an outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.keys import COPIES_CHANNEL, weather_key
from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TOKEN = "copies-admin-token"
JUNK = b"j" * 1024


@pytest.fixture
async def own_redis(own_redis_server: LocalRedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(own_redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


async def two_instances(start_app: StartApp, url: str, redis: Redis) -> tuple[AppServer, ...]:
    env = {"REDIS_URL": url, "NEAR_CACHE_TTL": "0", "ADMIN_TOKEN": TOKEN}
    instances = (start_app(env), start_app(env))

    async def both_listen() -> bool:
        return dict(await redis.pubsub_numsub(COPIES_CHANNEL))[COPIES_CHANNEL.encode()] == 2

    await eventually(both_listen, 10, "both instances subscribed to the copies channel")
    return instances


async def evict(redis: Redis, name: str) -> int:
    """A real eviction: room for 1 MB more, LRU over all keys, junk until `name` goes.
    The junk written, in KB (bounded: 16 MB)."""
    used = int((await redis.info("memory"))["used_memory"])
    await redis.config_set("maxmemory-policy", "allkeys-lru")
    await redis.config_set("maxmemory", str(used + 1024 * 1024))
    written = 0
    while await redis.exists(name) and written < 16 * 1024:  # EXISTS does not touch the LRU
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(256):
                pipe.set(f"junk:{written + n}", JUNK)
            await pipe.execute()
        written += 256
    await redis.config_set("maxmemory", "0")
    assert not await redis.exists(name), f"{name} not evicted by {written} KB of junk"
    return written


def weather_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return {k: body[k] for k in ("city", "temperature", "humidity", "description")}


@pytest.mark.parametrize("outage", ["error429", "error500"])
async def test_a_city_redis_evicted_is_answered_stale_by_an_instance_that_never_read_it(
    start_app: StartApp,
    own_redis_server: LocalRedisServer,
    own_redis: Redis,
    fake_open_meteo: FakeOpenMeteo,
    outage: str,
) -> None:
    a, b = await two_instances(start_app, own_redis_server.url, own_redis)
    async with httpx.AsyncClient(timeout=10) as client:
        fetched = await client.get(f"{a.url}/weather", params={"city": "Boise"})
        junk_kb = await evict(own_redis, weather_key("boise"))
        await fake_open_meteo.aset(mode=outage, endpoint="forecast")
        answered = await client.get(f"{b.url}/weather", params={"city": "Boise"})

    print(f"\n{outage}: Boise evicted by {junk_kb} KB of junk; B answered {answered.status_code}")
    assert (fetched.status_code, fetched.headers["x-cache"]) == (200, "MISS")
    assert (answered.status_code, answered.headers.get("x-cache")) == (200, "STALE")
    assert weather_of(answered) == weather_of(fetched)


async def test_a_purged_city_is_served_from_no_copy_in_any_instance_during_an_outage(
    start_app: StartApp,
    own_redis_server: LocalRedisServer,
    own_redis: Redis,
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    instances = await two_instances(start_app, own_redis_server.url, own_redis)
    a, b = instances
    admin = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=10) as client:
        for instance in instances:  # each holds a copy it read, and B one it heard
            ok = await client.get(f"{instance.url}/weather", params={"city": "Boise"})
            assert ok.status_code == 200
        purged = await client.delete(f"{a.url}/admin/cache/Boise", headers=admin)
        assert purged.status_code == 200
        await fake_open_meteo.aset(mode="error500", endpoint="forecast")
        # The purge reaches B's copy by pub/sub, a moment after A answered: on loopback
        # within milliseconds; 0.2 s leaves room for a loaded machine.
        await asyncio.sleep(0.2)
        answers = [
            await client.get(f"{instance.url}/weather", params={"city": "Boise"})
            for instance in (b, a, b)
        ]
    assert [r.status_code for r in answers] == [503] * 3
    assert not await own_redis.exists(weather_key("boise"))
