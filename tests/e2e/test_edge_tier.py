"""The edge tier, run as shipped: `skycache edge-config`'s nginx in front of two Skycache
processes. It caches by Skycache's own headers and keeps every cross-instance guarantee."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.support.age_aware_cache import AgeAwareCache, directives
from tests.support.app_server import ROOT, AppServer
from tests.support.cached_entries import fresh_until
from tests.support.edge import Edge
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import HOT_CITIES
from tests.support.http_load import burst, closed_loop, stats_when, weather_target

pytestmark = LOAD_TEST

FRESH_S = 3  # WEATHER_TTL: the longest max-age Skycache sends
NEGATIVE_S = 3
ENV = {
    "WEATHER_TTL": str(FRESH_S),
    "WEATHER_TTL_JITTER": "0",
    "NEGATIVE_TTL": str(NEGATIVE_S),
    "METRICS_FLUSH_INTERVAL": "0.1",
    "UPSTREAM_TIMEOUT": "15",
}
WARM = list(HOT_CITIES)


@dataclass
class Tier:
    edge: Edge
    apps: list[AppServer]

    @property
    def url(self) -> str:
        return self.edge.url


@pytest.fixture
def tier(start_app: StartApp, edge_state: Path) -> Iterator[Tier]:
    apps = [start_app(ENV), start_app(ENV)]
    edge = Edge([f"127.0.0.1:{app.port}" for app in apps], edge_state).start()
    try:
        yield Tier(edge, apps)
    finally:
        edge.stop()


def requests_seen(stats: Mapping[str, Any]) -> int:
    """/weather requests Skycache answered: every one is a hit or a miss."""
    return stats["cache_hits"] + stats["cache_misses"]


async def test_a_warm_city_reaches_skycache_at_most_once_per_max_age(tier: Tier) -> None:
    async with httpx.AsyncClient(base_url=tier.url) as client:
        first = await client.get("/weather", params={"city": "Paris"})
        assert first.status_code == 200
        assert first.headers["x-edge-cache"] == "MISS"
        before = await stats_when(tier.apps[0].url, lambda s: requests_seen(s) == 1)
    started = time.monotonic()
    replies = []
    for _ in range(10):  # 1,000 requests, 100 at a time
        replies += await burst([tier.url], weather_target("Paris"), 100)
    elapsed = time.monotonic() - started
    assert Counter(r.status for r in replies) == {200: 1000}
    edge = Counter(r.headers["x-edge-cache"] for r in replies)
    assert edge["HIT"] >= 1000 - 2 * math.ceil(elapsed / FRESH_S), edge
    await asyncio.sleep(0.3)  # the counters' flush interval, twice over
    async with httpx.AsyncClient() as client:
        after = (await client.get(f"{tier.apps[0].url}/stats")).json()
    reached = requests_seen(after) - requests_seen(before)
    # One request per expiry at most (a background update, or a revalidation).
    assert reached <= math.ceil(elapsed / FRESH_S) + 1, (reached, elapsed)


async def test_the_edge_answers_if_none_match_with_a_304_itself(tier: Tier) -> None:
    async with httpx.AsyncClient(base_url=tier.url) as client:
        first = await client.get("/weather", params={"city": "Seattle"})
        tag = first.headers["etag"]
        again = await client.get(
            "/weather", params={"city": "Seattle"}, headers={"If-None-Match": tag}
        )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["x-edge-cache"] == "HIT"  # Skycache was not asked


async def test_a_changed_entry_is_seen_at_the_edge_within_max_age_and_a_second(
    tier: Tier, fake_open_meteo: FakeOpenMeteo
) -> None:
    async with httpx.AsyncClient() as client:
        edge = f"{tier.url}/weather?city=Austin"
        direct = f"{tier.apps[0].url}/weather?city=Austin"
        old = (await client.get(edge)).json()["description"]
        await fake_open_meteo.aset(weather_code=95)  # a thunderstorm from now on
        # Skycache refreshes its entry once it expires; when it has the new weather...
        deadline = time.monotonic() + 3 * FRESH_S
        while (await client.get(direct)).json()["description"] == old:
            assert time.monotonic() < deadline, "Skycache never refreshed its entry"
            await asyncio.sleep(0.1)
        changed_at = time.monotonic()
        # ... the edge, which holds a copy for max-age at most, follows.
        while (await client.get(edge)).json()["description"] == old:
            assert time.monotonic() - changed_at <= FRESH_S + 1, "the edge kept the old copy"
            await asyncio.sleep(0.1)


async def test_a_cold_stampede_through_the_edge_makes_one_upstream_fetch(
    tier: Tier, fake_open_meteo: FakeOpenMeteo
) -> None:
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst([tier.url], weather_target("San Jose"), 500)
    assert Counter(r.status for r in replies) == {200: 500}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}
    # nginx let one request through; the others waited for its answer at the edge (and
    # carry its X-Cache: the edge keeps Skycache's headers with the body).
    edge = Counter(r.headers["x-edge-cache"] for r in replies)
    assert edge == {"MISS": 1, "HIT": 499}, edge


async def test_an_unknown_citys_404_is_kept_at_the_edge_for_its_negative_ttl(
    tier: Tier,
) -> None:
    async with httpx.AsyncClient(base_url=tier.url) as client:
        first = await client.get("/weather", params={"city": "Atlantis"})
        assert first.status_code == 404
        max_age = int(first.headers["cache-control"].split("max-age=")[1].split(",")[0])
        assert 0 < max_age <= NEGATIVE_S
        again = await client.get("/weather", params={"city": "Atlantis"})
        assert (again.status_code, again.headers["x-edge-cache"]) == (404, "HIT")
        # nginx keeps time in whole seconds, and an entry is valid through its last second.
        await asyncio.sleep(max_age + 1.5)
        later = await client.get("/weather", params={"city": "Atlantis"})
    assert later.headers["x-edge-cache"] != "HIT"


async def test_stats_health_and_admin_are_never_answered_from_the_edge_cache(
    tier: Tier,
) -> None:
    async with httpx.AsyncClient(base_url=tier.url) as client:
        for path in ("/stats", "/healthz", "/metrics", "/admin/cache/paris"):
            for _ in range(3):
                response = await client.get(path)
                assert "x-edge-cache" not in response.headers, path


async def test_a_batch_post_always_reaches_skycache_as_the_docs_say(tier: Tier) -> None:
    body = {"cities": ["Paris", "Berlin"]}
    async with httpx.AsyncClient(base_url=tier.url, timeout=30) as client:
        answers = [await client.post("/weather/batch", json=body) for _ in range(3)]
        before = await stats_when(tier.apps[0].url, lambda s: requests_seen(s) >= 6)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers.get("x-edge-cache") for a in answers] == [None, None, None]
    assert all("no-store" in a.headers["cache-control"] for a in answers)
    assert requests_seen(before) == 6  # each batch's two cities, three times: none at the edge
    operations = " ".join((ROOT / "docs" / "OPERATIONS.md").read_text().split())
    assert "It caches only `GET /weather`" in operations
    assert "`/weather/batch` is a POST marked `no-store`: it passes through uncached" in operations


async def test_with_both_instances_down_for_5_s_warm_cities_are_still_answered(
    tier: Tier, start_app: StartApp
) -> None:
    targets = [weather_target(city) for city in WARM]
    await asyncio.gather(*(burst([tier.url], target, 1) for target in targets))
    load = asyncio.create_task(
        closed_loop([tier.url], targets, clients=32, duration_s=9.0, pause_s=0.01)
    )
    await asyncio.sleep(1.0)
    ports = [app.port for app in tier.apps]
    for app in tier.apps:
        app.stop(grace_s=0)  # killed: in-flight requests see their connection reset
    await asyncio.sleep(5.0)  # longer than max-age: the edge must serve expired copies
    for port in ports:
        await asyncio.to_thread(start_app, ENV, port=port)
    replies = await load
    assert len(replies) > 1000
    assert Counter(r.status for r in replies) == {200: len(replies)}
    edge = Counter(r.headers["x-edge-cache"] for r in replies)
    assert edge["STALE"] + edge["UPDATING"] > 0, edge  # served past max-age


def epoch(http_date: str) -> float:
    return parsedate_to_datetime(http_date).timestamp()


async def test_during_an_upstream_outage_clients_at_the_edge_see_stale_and_its_true_age(
    tier: Tier, fake_open_meteo: FakeOpenMeteo
) -> None:
    async with httpx.AsyncClient(base_url=tier.url) as client:
        first = await client.get("/weather", params={"city": "Chicago"})
        fetched_s = epoch(first.headers["last-modified"])  # the fetch, in whole seconds
        await fake_open_meteo.aset(mode="error500")  # the upstream is down from now on
        await asyncio.sleep(FRESH_S + 1.2)  # past the entry's freshness and the edge's copy
        replies = []
        async with asyncio.timeout(20):
            for _ in range(40):  # 4 s of a client asking every 0.1 s
                replies.append(
                    (await client.get("/weather", params={"city": "Chicago"}), time.time())
                )
                await asyncio.sleep(0.1)
    assert {reply.status_code for reply, _ in replies} == {200}
    stale = [reply.json()["stale"] for reply, _ in replies]
    # The copy the edge held may be served while it revalidates (stale-while-revalidate),
    # at most until Skycache's first stale answer replaces it; never after.
    seen_at = stale.index(True)
    assert seen_at <= 2, stale
    assert all(stale[seen_at:]), stale
    for reply, received in replies[:seen_at]:
        assert reply.headers["x-edge-cache"] in {"STALE", "UPDATING"}
        # Its Date is Skycache's: a client sees that it is past its max-age.
        max_age = int(directives(reply.headers["cache-control"])["max-age"])
        assert epoch(reply.headers["date"]) + max_age < received
    edge = Counter(reply.headers["x-edge-cache"] for reply, _ in replies[seen_at:])
    assert edge["HIT"] > 0, edge  # the stale answer itself is kept, a second at a time
    for reply, received in replies:
        assert "age" not in reply.headers
        # The body's age as of its Date, plus how long ago that was: the entry's true age.
        told = reply.json()["age_seconds"] + received - epoch(reply.headers["date"])
        assert abs(told - (received - fetched_s)) <= 2, reply.headers


async def test_an_age_aware_client_of_the_edge_keeps_its_copy_as_long_as_skycache(
    tier: Tier, redis_client: Redis
) -> None:
    """nginx sends no Age and keeps Skycache's Date with its copy: a client that reads the
    edge's hit 1.5 s after the miss counts that time from Date, as RFC 9111 says."""
    async with httpx.AsyncClient(base_url=tier.url) as client:
        first = await client.get("/weather", params={"city": "Omaha"})
        until = await fresh_until(redis_client, "Omaha")
        await asyncio.sleep(1.5)
        cache = AgeAwareCache(client)
        hit, _ = await cache.get("/weather?city=Omaha")
    assert (first.headers["x-edge-cache"], hit.headers["x-edge-cache"]) == ("MISS", "HIT")
    assert hit.headers["date"] == first.headers["date"]
    stored = cache.stored("/weather?city=Omaha")
    assert stored is not None
    assert until - 1.2 < stored.fresh_until() <= until + 0.01
