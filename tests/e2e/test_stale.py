"""Stale-while-revalidate and stale-if-error across two app processes sharing one Redis."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter

from redis.asyncio import Redis

from adapters.redis.envelope import decode_entry
from adapters.redis.keys import weather_key
from domain.model.query import WeatherQuery
from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import (
    Reply,
    closed_loop,
    get_once,
    stats_when,
    warm_up,
    weather_target,
)

pytestmark = LOAD_TEST


def assert_served_stale(replies: list[Reply]) -> None:
    assert Counter(r.status for r in replies) == {200: len(replies)}
    assert {r.cache for r in replies} == {"STALE"}
    assert all(r.json()["stale"] is True for r in replies)
    assert all(r.json()["age_seconds"] >= 1 for r in replies)


async def test_a_hot_city_under_steady_load_never_waits_for_the_upstream(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {"WEATHER_TTL": "2", "WEATHER_TTL_JITTER": "0", "UPSTREAM_TIMEOUT": "5"}
    apps = [start_app(env), start_app(env)]
    await warm_up([app.url for app in apps], weather_target("Miami"))
    await fake_open_meteo.areset()
    await fake_open_meteo.aset(latency_s=0.5)
    # Each client thinks 10 ms between requests (~2,000 req/s in all): a steady load that
    # leaves the two cores some slack, so the tail measures the service rather than the
    # run queue of a saturated box. The in-process near cache stays on, as in production:
    # it holds an entry no longer than it is fresh, so stale answers still come from Redis.
    async with asyncio.timeout(40):
        replies = await closed_loop(
            [app.url for app in apps],
            [weather_target("Seattle")],
            clients=32,
            duration_s=12,
            pause_s=0.01,
        )
    assert Counter(r.status for r in replies) == {200: len(replies)}
    filled_at = min(r.done_at for r in replies)
    after = [r for r in replies if r.sent_at >= filled_at]
    # Nobody waited for a fetch after the first fill; the entry did go stale meanwhile.
    outcomes = Counter(r.cache for r in after)
    assert set(outcomes) <= {"HIT", "STALE"}, outcomes
    stale = [r for r in after if r.cache == "STALE"]
    assert_served_stale(stale)
    # Each refresh takes the upstream's 0.5 s: the requests sent meanwhile were answered
    # STALE, and the fresh copy came only after them (a later HIT, younger than they were).
    first = min(stale, key=lambda r: r.done_at)
    refreshed = [r for r in after if r.cache == "HIT" and r.sent_at > first.done_at]
    assert refreshed, "the refresh never landed"
    landed = min(r.done_at for r in refreshed)
    meanwhile = [r for r in stale if first.sent_at <= r.sent_at < landed]
    assert len(meanwhile) > 1, meanwhile
    youngest = min(r.json()["age_seconds"] for r in refreshed)
    assert youngest < first.json()["age_seconds"]
    calls = await fake_open_meteo.acalls()
    assert calls["geocoding"] == 1
    assert 2 <= calls["forecast"] <= 12 / 2 + 1


CITIES = ["San Jose", "Boise", "Denver"]
BACKOFF_S = 0.5


async def test_a_failing_upstream_keeps_stale_copies_served_and_is_retried_on_back_off(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis
) -> None:
    env = {
        "WEATHER_TTL": "1",
        "WEATHER_TTL_JITTER": "0",
        "REFRESH_BACKOFF": str(BACKOFF_S),
        "UPSTREAM_TIMEOUT": "1",
        "NEAR_CACHE_TTL": "0",
        "METRICS_FLUSH_INTERVAL": "0.1",
        # The provider guard's retry, breaker and concurrency cap (tested on their own)
        # would blur the count: off, so that the back-off alone bounds the calls.
        "UPSTREAM_RETRIES": "0",
        "BREAKER_FAILURES": "1000",
        "UPSTREAM_CONCURRENCY": "8",
    }
    apps = [start_app(env), start_app(env)]
    urls, targets = [app.url for app in apps], [weather_target(city) for city in CITIES]
    filled = [await get_once(urls[0], target) for target in targets]
    assert {(r.status, r.cache) for r in filled} == {(200, "MISS")}
    await asyncio.sleep(1.2)  # every entry is stale now, and nothing asked for it yet
    await fake_open_meteo.aset(mode="error500", endpoint="forecast")
    started = time.monotonic()
    async with asyncio.timeout(30):
        replies = await closed_loop(urls, targets, clients=6, duration_s=2.5, pause_s=0.02)
        after_500s = (await fake_open_meteo.acalls())["forecast"]
        await fake_open_meteo.aset(mode="timeout", endpoint="forecast")
        replies += await closed_loop(urls, targets, clients=6, duration_s=4, pause_s=0.02)
    elapsed = time.monotonic() - started
    refreshes = (await fake_open_meteo.acalls())["forecast"] - len(CITIES)
    assert_served_stale(replies)
    # Attempt n of a city comes at least BACKOFF_S * (2**(n-1) - 1) after its first one.
    per_city = math.floor(math.log2(elapsed / BACKOFF_S + 1)) + 1
    assert len(CITIES) < refreshes <= len(CITIES) * per_city, (refreshes, per_city)
    assert (await fake_open_meteo.acalls())["forecast"] > after_500s  # timeouts were met
    assert len(replies) > 20 * refreshes  # so it is the back-off that bounds them
    for city in CITIES:
        raw = await redis_client.get(weather_key(WeatherQuery.parse(city).key))
        entry = decode_entry(raw)
        assert entry.fresh_until < time.time()  # never written back as fresh
        assert entry.failures >= 2


async def test_stale_answers_are_counted_over_both_processes(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {"WEATHER_TTL": "1", "WEATHER_TTL_JITTER": "0", "METRICS_FLUSH_INTERVAL": "0.1"}
    env |= {"NEAR_CACHE_TTL": "0", "REFRESH_BACKOFF": "60", "UPSTREAM_RETRIES": "0"}
    apps = [start_app(env), start_app(env)]
    target = weather_target("Austin")
    assert (await get_once(apps[0].url, target)).cache == "MISS"
    await asyncio.sleep(1.2)
    await fake_open_meteo.aset(mode="error500", endpoint="forecast")
    replies = [await get_once(app.url, target) for app in apps for _ in range(10)]
    assert_served_stale(replies)
    stats = await stats_when(
        apps[1].url, lambda s: s["stale_served"] >= 20 and s["upstream_errors"] >= 1
    )
    assert stats["stale_served"] == 20
    assert stats["upstream_errors"] == 1  # one refresh, then the back-off holds
