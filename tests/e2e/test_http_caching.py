"""HTTP caching for caches downstream, against real app processes: validators, 304s on
every path a hit can take, max-age from the entry, and the headers of errors and probes."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.envelope import decode_entry
from adapters.redis.keys import weather_key
from domain.model.query import WeatherQuery
from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

NO_NEAR_CACHE = {"NEAR_CACHE_TTL": "0"}


def max_age(response: httpx.Response) -> int:
    directives = dict(
        part.strip().partition("=")[::2] for part in response.headers["cache-control"].split(",")
    )
    return int(directives["max-age"])


async def conditional(client: httpx.AsyncClient, city: str, tag: str) -> httpx.Response:
    return await client.get("/weather", params={"city": city}, headers={"if-none-match": tag})


async def until_cache(
    client: httpx.AsyncClient, city: str, wanted: str, timeout_s: float = 10
) -> httpx.Response:
    async with asyncio.timeout(timeout_s):
        while True:
            response = await client.get("/weather", params={"city": city})
            if response.headers["x-cache"] == wanted:
                return response
            await asyncio.sleep(0.1)


async def revalidated(
    client: httpx.AsyncClient, city: str, x_cache: str
) -> tuple[httpx.Response, httpx.Response]:
    """A 200 and, asked at once with its ETag, a 304: the body changes only with its age
    in whole seconds, so a few tries find the two in one second. Every 200 in between
    must be other bytes under another tag."""
    for _ in range(5):
        whole = await client.get("/weather", params={"city": city})
        assert whole.headers["x-cache"] == x_cache
        again = await conditional(client, city, whole.headers["etag"])
        if again.status_code == 304:
            return whole, again
        assert again.status_code == 200
        assert (again.headers["etag"], again.content) != (whole.headers["etag"], whole.content)
    raise AssertionError("no 304 in five tries")


async def test_a_matching_etag_gets_a_304_with_no_body_from_near_cache_redis_and_stale(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {"WEATHER_TTL": "2", "WEATHER_TTL_JITTER": "0", "NEAR_CACHE_TTL": "1"}
    near, shared = start_app(env), start_app(env | NO_NEAR_CACHE)
    async with (
        httpx.AsyncClient(base_url=near.url) as a,
        httpx.AsyncClient(base_url=shared.url) as b,
    ):
        first = await a.get("/weather", params={"city": "Boise"})
        assert first.headers["x-cache"] == "MISS"
        assert first.headers["etag"].startswith('"')  # strong: it names these bytes
        for client in (a, b):  # the near cache's hit; the other process reads Redis
            whole, response = await revalidated(client, "Boise", "HIT")
            assert response.headers["x-cache"] == "HIT"
            assert response.content == b""
            assert response.headers["etag"] == whole.headers["etag"]
            assert response.headers["last-modified"] == first.headers["last-modified"]
            assert max_age(response) > 0

        await fake_open_meteo.aset(mode="error500")  # the refresh the stale answer starts fails
        await asyncio.sleep(2.1)
        stale = await conditional(b, "Boise", first.headers["etag"])
        assert (stale.status_code, stale.headers["x-cache"]) == (200, "STALE")
        assert stale.json()["stale"] is True  # never a 304 to a fresh copy
        whole, unchanged = await revalidated(b, "Boise", "STALE")
        assert (unchanged.headers["x-cache"], unchanged.content) == ("STALE", b"")
        assert max_age(unchanged) == 1


async def test_an_old_etag_gets_the_new_body_once_a_refresh_brought_new_weather(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app({"WEATHER_TTL": "1", "WEATHER_TTL_JITTER": "0"} | NO_NEAR_CACHE)
    async with httpx.AsyncClient(base_url=app.url) as client:
        before = await client.get("/weather", params={"city": "Denver"})
        tag = before.headers["etag"]
        await fake_open_meteo.aset(weather_code=95)  # the next fetch brings a thunderstorm
        await asyncio.sleep(1.1)
        stale = await client.get("/weather", params={"city": "Denver"})  # starts the refresh
        assert stale.headers["x-cache"] == "STALE"
        assert stale.headers["etag"] != tag

        after = await until_cache(client, "Denver", "HIT")
        assert after.json()["description"] == "Thunderstorm"
        changed = await conditional(client, "Denver", tag)
        assert changed.status_code == 200
        assert changed.json()["description"] == "Thunderstorm"
        await revalidated(client, "Denver", "HIT")


async def test_max_age_counts_down_with_the_entrys_remaining_freshness(
    start_app: StartApp, redis_client: Redis
) -> None:
    app = start_app({"WEATHER_TTL": "60"})  # jitter on: the entry's own deadline counts
    async with httpx.AsyncClient(base_url=app.url) as client:
        await client.get("/weather", params={"city": "Austin"})
        raw = await redis_client.get(weather_key(WeatherQuery.parse("Austin").key))
        fresh_until = decode_entry(raw).fresh_until
        seen = []
        for _ in range(3):
            response = await client.get("/weather", params={"city": "Austin"})
            seen.append(max_age(response))
            assert abs(max_age(response) - (fresh_until - time.time())) <= 1
            stale_window = response.headers["cache-control"].split("stale-while-revalidate=")[1]
            assert int(stale_window.split(",")[0]) >= 86_400 - 60 - 30 - 1
            await asyncio.sleep(1.1)
        assert seen[0] > seen[1] > seen[2]


async def test_an_unknown_city_is_cacheable_for_what_is_left_of_negative_ttl(
    start_app: StartApp,
) -> None:
    app = start_app({"NEGATIVE_TTL": "120"})
    async with httpx.AsyncClient(base_url=app.url) as client:
        first = await client.get("/weather", params={"city": "Nowhereville"})
        await asyncio.sleep(1.1)
        again = await client.get("/weather", params={"city": "Nowhereville"})
    assert (first.status_code, again.status_code) == (404, 404)
    assert first.headers["cache-control"] == "public, max-age=120"
    assert again.headers["x-cache"] == "NEGATIVE"
    assert 118 <= max_age(again) <= 119


async def test_an_upstream_failure_is_never_stored_and_says_when_to_retry(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app()
    await fake_open_meteo.aset(mode="error500")
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get("/weather", params={"city": "Chicago"})
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize("path", ["/stats", "/healthz", "/metrics"])
async def test_probes_and_counters_are_never_stored(start_app: StartApp, path: str) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
