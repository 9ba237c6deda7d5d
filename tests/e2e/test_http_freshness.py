"""What an Age-aware cache makes of Skycache's answers (RFC 9111 4.2), and Date against
Last-Modified, on real app processes."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.age_aware_cache import AgeAwareCache
from tests.support.cached_entries import fresh_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TTL_S = 3
ENV = {"WEATHER_TTL": str(TTL_S), "WEATHER_TTL_JITTER": "0"}
URL = "/weather?city=Austin"


async def held_until(cache: AgeAwareCache, until_s: float) -> float:
    """Reads through `cache` every 20 ms until it asks the server again; when it did."""
    asked = cache.origin_requests
    async with asyncio.timeout(until_s):
        while True:
            started = time.time()
            _, from_cache = await cache.get(URL)
            if not from_cache:
                assert cache.origin_requests == asked + 1
                return started
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("near_cache", ["0", "1"])
async def test_an_age_aware_cache_keeps_a_miss_and_a_hit_fresh_as_long_as_skycache(
    start_app: StartApp, redis_client: Redis, near_cache: str
) -> None:
    app = start_app(ENV | {"NEAR_CACHE_TTL": near_cache})
    async with httpx.AsyncClient(base_url=app.url) as client:
        caches = [AgeAwareCache(client) for _ in range(3)]
        first, _ = await caches[0].get(URL)
        assert first.headers["x-cache"] == "MISS"
        until = await fresh_until(redis_client, "Austin")
        await asyncio.sleep(1.5)
        # Clients whose first answer is a hit 1.5 s old: read from Redis, then (with a
        # near cache) the copy the first of them left in this process.
        for cache in caches[1:]:
            hit, _ = await cache.get(URL)
            assert (hit.headers["x-cache"], hit.json()["age_seconds"]) == ("HIT", 1)
        expiries = []
        for cache in caches:
            stored = cache.stored(URL)
            assert stored is not None
            expiries.append(stored.fresh_until())
            # RFC 9111's arithmetic ends it in the entry's last second of freshness.
            assert until - 1.2 < stored.fresh_until() <= until + 0.01
        asked_again = await asyncio.gather(*(held_until(cache, 8) for cache in caches))
    # Each cache answered from its copy, without asking, until then.
    for expiry, asked_at in zip(expiries, asked_again, strict=True):
        assert asked_at >= expiry - 0.001


@pytest.mark.slow
@pytest.mark.xdist_group("load")  # 1,000 requests: never beside another load
async def test_no_answer_says_it_was_modified_after_its_date_in_1000(
    start_app: StartApp,
) -> None:
    """Misses (a new point each, fetched now) and hits, 20 at a time: each has one Date,
    and its Last-Modified, when it has one, is not after it."""
    app = start_app({"UPSTREAM_MISSES_PER_CLIENT": "0"})  # 300 new points from one client
    targets = [f"/weather?lat={10 + i * 0.1:.2f}&lon=20" for i in range(300)]
    targets += ["/weather?city=Boise", "/weather?city=Paris&units=imperial"] * 350
    gate = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=app.url, timeout=20) as client:

        async def ask(target: str) -> httpx.Response:
            async with gate:
                return await client.get(target)

        async with asyncio.timeout(120):
            answers = await asyncio.gather(*(ask(target) for target in targets))
    assert {a.status_code for a in answers} == {200}
    misses = sum(a.headers["x-cache"] == "MISS" for a in answers)
    assert misses >= 300
    for answer in answers:
        dates = [v for n, v in answer.headers.raw if n.lower() == b"date"]
        assert len(dates) == 1, answer.headers
        modified = parsedate_to_datetime(answer.headers["last-modified"])
        assert modified <= parsedate_to_datetime(dates[0].decode()), answer.headers
