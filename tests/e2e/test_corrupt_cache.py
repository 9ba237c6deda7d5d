"""Unreadable cache entries are counted misses that the next fetch overwrites, never a 500."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ENV = {"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.1"}


def other_version(_: bytes) -> bytes:
    # Tag 2 where v1 envelopes carry 1: a later release's entry, say.
    return msgspec.msgpack.encode([2, None, 1_700_000_000_000, 300_000, 86_400_000, 0, 0, 0])


CORRUPTIONS = {
    "Boise": lambda _: b"\xc1 not msgpack at all \x00\xff",
    "Denver": other_version,
    "Austin": lambda good: good[: len(good) // 2],  # truncated
    "Miami": lambda _: b"",
    "Seattle": lambda good: good + b"\x00",  # trailing bytes
}


async def test_corrupt_entries_are_counted_misses_that_the_next_fetch_overwrites(
    start_app: StartApp, redis_client: Redis, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app(ENV)
    async with httpx.AsyncClient(base_url=app.url) as client:
        for city, corrupt in CORRUPTIONS.items():
            assert (await client.get("/weather", params={"city": city})).status_code == 200
            key = f"skycache:v2:{{{city.lower()}}}:weather"
            await redis_client.set(key, corrupt(await redis_client.get(key) or b""))
        calls_before = (await fake_open_meteo.acalls())["forecast"]

        first = {c: await client.get("/weather", params={"city": c}) for c in CORRUPTIONS}
        counted = (await client.get("/stats")).json()["corrupt_entries"]
        again = {c: await client.get("/weather", params={"city": c}) for c in CORRUPTIONS}
        counted_again = (await client.get("/stats")).json()["corrupt_entries"]

    assert {c: r.status_code for c, r in first.items()} == dict.fromkeys(CORRUPTIONS, 200)
    assert {r.headers["x-cache"] for r in first.values()} == {"MISS"}
    assert {r.headers["x-cache"] for r in again.values()} == {"HIT"}  # overwritten
    assert (await fake_open_meteo.acalls())["forecast"] - calls_before == len(CORRUPTIONS)
    # Counted per read: a miss reads up to three times (the fast path's look for a fresh
    # hit, the use case's lookup, then the re-check under the lock).
    assert len(CORRUPTIONS) <= counted <= 3 * len(CORRUPTIONS)
    assert counted_again == counted


async def test_a_key_of_the_wrong_redis_type_is_a_miss_and_is_replaced(
    start_app: StartApp, redis_client: Redis
) -> None:
    app = start_app(ENV)
    await redis_client.hset("skycache:v2:{boise}:weather", "field", "value")
    async with httpx.AsyncClient(base_url=app.url) as client:
        first = await client.get("/weather", params={"city": "Boise"})
        again = await client.get("/weather", params={"city": "Boise"})

    # GET on a hash is a WRONGTYPE error, which the cache reports as unavailable: a miss.
    assert first.status_code == 200
    assert first.headers["x-cache"] == "MISS"
    assert again.headers["x-cache"] == "HIT"
    assert await redis_client.type("skycache:v2:{boise}:weather") == b"string"
