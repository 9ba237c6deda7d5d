"""The fast path inside the real app: near cache, fresh cache hits, and Litestar behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from adapters.memory.cache import MemoryCache
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.errors import UpstreamUnavailable
from domain.model.query import DEFAULT_GRID, GridPoint
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.http.weather.params import params_of
from entrypoints.settings import Settings
from tests.unit.fakes import FakeClock, FakeProvider

Service = tuple[AsyncTestClient[Any], NearCache, FakeClock, FakeProvider]


@pytest.fixture
async def service(request: pytest.FixtureRequest) -> AsyncIterator[Service]:
    """The whole ASGI app (fast path included) over in-memory adapters and a fake clock."""
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "WEATHER_TTL_JITTER": "0"}
    env["NEAR_CACHE_TTL"] = getattr(request, "param", "60")
    container.settings.override(providers.Object(Settings.from_env(env)))
    provider, clock = FakeProvider(), FakeClock()
    container.provider.override(providers.Object(provider))
    container.clock.override(providers.Object(clock))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        yield client, container.near_cache(), clock, provider


async def test_the_app_stores_fresh_answers_in_the_near_cache(
    service: Service,
) -> None:
    client, near, *_ = service
    first = await client.get("/weather", params={"city": "San Jose"})
    again = await client.get("/weather", params={"city": "San Jose"})
    assert first.headers["x-cache"] == "MISS"
    assert again.headers["x-cache"] == "HIT"
    assert again.content == first.content
    assert len(near) == 1


async def test_a_stale_answer_is_never_stored_in_the_near_cache(
    service: Service,
) -> None:
    client, near, clock, _ = service
    await client.get("/weather", params={"city": "San Jose"})
    clock.advance(301)  # past WEATHER_TTL: Redis' copy is stale now
    stale = await client.get("/weather", params={"city": "san jose"})
    assert stale.headers["x-cache"] == "STALE"
    assert len(near) == 1  # only the fresh answer, under its own spelling


@pytest.mark.parametrize("service", ["0"], indirect=True)
async def test_without_a_near_cache_a_fresh_hit_is_the_same_answer_by_either_path(
    service: Service,
) -> None:
    client, near, _, provider = service
    miss = await client.get("/weather?city=Boise")
    fast = await client.get("/weather?city=Boise")  # a plain city=: the fast path's
    framework = await client.get("/weather?city=Boise&v=2")  # anything else: Litestar's
    assert [r.headers["x-cache"] for r in (miss, fast, framework)] == ["MISS", "HIT", "HIT"]
    assert fast.content == framework.content == miss.content
    assert fast.headers["etag"] == framework.headers["etag"] == miss.headers["etag"]
    assert provider.calls == ["boise"]
    assert len(near) == 0
    stats = (await client.get("/stats")).json()
    assert (stats["cache_misses"], stats["cache_hits"]) == (1, 2)


@pytest.mark.parametrize("service", ["0"], indirect=True)
async def test_bad_input_and_unknown_cities_still_get_litestars_json_errors(
    service: Service,
) -> None:
    client, *_ = service
    for _ in range(2):
        unknown = await client.get("/weather?city=Atlantis")
        assert (unknown.status_code, unknown.json()["error"]) == (404, "city_not_found")
    invalid = await client.get("/weather?city=%3Cscript%3E")
    assert (invalid.status_code, invalid.json()["error"]) == (400, "invalid_city")


@pytest.mark.parametrize(
    ("query", "city"),
    [
        (b"city=San+Jose", "San Jose"),
        (b"city=San%20Jose", "San Jose"),
        (b"city=Reykjav%C3%ADk", "Reykjavík"),
        (b"city=Boise&units=imperial", "Boise"),
        (b"city=%FF", None),  # read as U+FFFD, which is no city: the route's 400
        (b"city=", None),
        (b"city", None),
        (b"city=a&city=b", None),
        (b"city=a&x=1", None),
        (b"city=Boise&units=kelvin", None),
        (b"town=Boise", None),
        (b"", None),
    ],
)
def test_a_city_is_read_from_the_query_as_litestar_reads_it(query: bytes, city: str | None) -> None:
    found = params_of(query, DEFAULT_GRID)
    assert (found.query.city if found else None) == city


def test_a_point_and_its_units_are_read_from_the_query() -> None:
    found = params_of(b"lat=37.3449&lon=-121.8851&units=imperial", DEFAULT_GRID)
    assert found is not None
    assert (found.query.point, found.units) == (GridPoint(37.34, -121.89), "imperial")
    assert params_of(b"lat=37.34", DEFAULT_GRID) is None
    assert params_of(b"lat=37.34&lon=1&city=Boise", DEFAULT_GRID) is None


@pytest.mark.parametrize("service", ["0", "60"], indirect=True)  # fresh-hit path, near cache
async def test_the_route_and_the_fast_path_send_the_same_headers_in_the_same_order(
    service: Service,
) -> None:
    client, *_ = service
    miss = await client.get("/weather?city=Boise")  # the route's
    fast = await client.get("/weather?city=Boise")  # the fast path's
    assert [n for n, _ in miss.headers.raw] == [n for n, _ in fast.headers.raw]
    assert (miss.headers["x-cache"], fast.headers["x-cache"]) == ("MISS", "HIT")
    without_cache = [(n, v) for n, v in miss.headers.raw if n != b"x-cache"]
    assert without_cache == [(n, v) for n, v in fast.headers.raw if n != b"x-cache"]


async def test_every_answer_carries_one_date_and_none_before_its_last_modified(
    service: Service,
) -> None:
    client, *_ = service
    answers = [
        await client.get("/weather?city=Boise"),  # the route's miss
        await client.get("/weather?city=Boise"),  # the near cache's hit
        await client.get("/weather?city=Boise&units=imperial"),  # the fast path's hit
        await client.get("/weather?city=Atlantis"),  # a 404
        await client.get("/weather?city=%3C"),  # a 400
        await client.get("/stats"),
        await client.head("/weather?city=Boise"),
    ]
    for answer in answers:
        dates = [v for n, v in answer.headers.raw if n.lower() == b"date"]
        assert len(dates) == 1, answer.headers
        if "last-modified" in answer.headers:
            modified = parsedate_to_datetime(answer.headers["last-modified"])
            assert modified <= parsedate_to_datetime(dates[0].decode())


@pytest.mark.parametrize("service", ["0", "60"], indirect=True)
async def test_a_revalidation_of_a_fresh_copy_is_answered_with_the_stale_body(
    service: Service,
) -> None:
    client, _, clock, provider = service
    fresh = await client.get("/weather?city=Boise")
    provider.failing = UpstreamUnavailable("down")  # an outage: every refresh fails
    clock.advance(301)  # past WEATHER_TTL: the entry is stale, the fresh copy is not it
    validators = {
        "if-none-match": fresh.headers["etag"],
        "if-modified-since": fresh.headers["last-modified"],
    }
    for asked in ({"if-none-match": validators["if-none-match"]}, validators):
        stale = await client.get("/weather?city=Boise&units=metric", headers=asked)
        assert (stale.status_code, stale.headers["x-cache"]) == (200, "STALE")
        assert stale.json()["stale"] is True
        assert stale.headers["etag"] != fresh.headers["etag"]
    only_since = {"if-modified-since": validators["if-modified-since"]}
    stale = await client.get("/weather?city=Boise&units=metric", headers=only_since)
    assert (stale.status_code, stale.json()["stale"]) == (200, True)
    again = await client.get(
        "/weather?city=Boise&units=metric", headers={"if-none-match": stale.headers["etag"]}
    )
    assert (again.status_code, again.headers["x-cache"]) == (304, "STALE")


class CountedReads(MemoryCache):
    def __init__(self) -> None:
        super().__init__(clock=SystemClock())
        self.reads: list[str] = []

    async def get(self, key: str) -> CacheEntry | None:
        self.reads.append(key)
        return await super().get(key)


async def test_a_cold_city_through_the_app_is_read_once_before_its_lease() -> None:
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "NEAR_CACHE_TTL": "0"}
    container.settings.override(providers.Object(Settings.from_env(env)))
    cache = CountedReads()
    container.memory_cache.override(providers.Object(cache))
    container.provider.override(providers.Object(FakeProvider()))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        miss = await client.get("/weather?city=Boise")
    assert miss.headers["x-cache"] == "MISS"
    # The fast path's read, handed on to the route, then the one under the lease.
    assert cache.reads == ["boise", "boise"]
