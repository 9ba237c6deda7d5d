"""Cold-city stampedes across app processes that share one Redis: one upstream fetch each."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.e2e.stampede import ENV, WARM_UP, warmed
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Reply, burst, stats_when, weather_target

pytestmark = LOAD_TEST


def answered_by(replies: list[Reply]) -> Counter[tuple[str, str]]:
    return Counter((r.url, r.cache) for r in replies)


async def test_500_concurrent_misses_over_two_processes_make_one_upstream_fetch(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    apps = [start_app(ENV), start_app(ENV)]
    urls = [app.url for app in apps]
    await warmed(urls, fake_open_meteo)
    before = await stats_when(urls[0], lambda s: s["cache_hits"] + s["cache_misses"] == WARM_UP)
    # Long enough that every request arrives while the one fetch is still running.
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst(urls, weather_target("San Jose"), 500)
    assert Counter(r.status for r in replies) == {200: 500}
    assert {r.json()["city"] for r in replies} == {"San Jose"}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    caches = Counter(r.cache for r in replies)
    assert caches["MISS"] == 1
    assert set(caches) <= {"MISS", "COALESCED", "HIT"}
    by = answered_by(replies)
    assert all(by[url, "COALESCED"] > 0 for url in urls), by  # both waited on one fetch
    after = await stats_when(
        urls[0], lambda s: s["cache_hits"] + s["cache_misses"] == WARM_UP + 500
    )
    assert after["api_calls"] - before["api_calls"] == 1
    assert after["coalesced"] - before["coalesced"] == caches["COALESCED"]
    assert after["cache_misses"] - before["cache_misses"] == 1 + caches["COALESCED"]


async def test_two_uvicorn_workers_behind_one_port_share_one_fetch(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app(ENV, workers=2)
    await warmed([app.url], fake_open_meteo)
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst([app.url], weather_target("Boise"), 300)
    assert Counter(r.status for r in replies) == {200: 300}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    assert Counter(r.cache for r in replies)["MISS"] == 1


async def test_a_fetch_slower_than_the_lock_ttl_is_still_the_only_one(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # Without its keep-alive the owner's 5 s lease would lapse 2 s before its fetch ends.
    env = {**ENV, "LOCK_TTL": "5"}
    apps = [start_app(env), start_app(env)]
    await warmed([app.url for app in apps], fake_open_meteo)
    await fake_open_meteo.aset(latency_s=7, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst([app.url for app in apps], weather_target("Denver"), 500)
    assert Counter(r.status for r in replies) == {200: 500}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    assert min(r.latency_s for r in replies) > 6  # so every one of them waited it out
    assert Counter(r.cache for r in replies) == {"MISS": 1, "COALESCED": 499}


async def test_a_stampede_on_freshly_started_processes_still_makes_one_fetch(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # No warm-up: the burst meets pools that hold only the connections opened at start-up.
    apps = [start_app(ENV), start_app(ENV)]
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst([app.url for app in apps], weather_target("Boston"), 500)
    assert Counter(r.status for r in replies) == {200: 500}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
