"""The fast path: alone, with a fake inner app and lookup; and inside the real app, with the
near cache, fresh cache hits and Litestar behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from adapters.memory.cache import MemoryCache
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.errors import UpstreamUnavailable
from domain.model.outcome import WeatherResult
from domain.model.query import DEFAULT_GRID, GridPoint
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.limits import MAX_HEADER_BYTES, MAX_TARGET_BYTES
from entrypoints.http.weather.fast_path import NearCacheFastPath
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.http.weather.params import params_of
from entrypoints.http.weather.rendered import Rendered
from entrypoints.settings import Settings
from tests.unit.entrypoints.http.weather import near_answers
from tests.unit.entrypoints.http.weather.near_answers import (
    ANSWER,
    BODY,
    RESULT,
    SAN_JOSE,
    InnerApp,
)
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
        # Refused in front of the fast path, where they date themselves: a 414 and a 431.
        await client.get("/weather?city=" + "a" * MAX_TARGET_BYTES),
        await client.get("/weather?city=Boise", headers={"x-big": "b" * MAX_HEADER_BYTES}),
    ]
    assert [a.status_code for a in answers[-2:]] == [414, 431]
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


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _scope(
    method: str = "GET",
    path: str = "/weather",
    query: bytes = SAN_JOSE,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Any:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": headers or [],
    }


@pytest.fixture
def hits() -> list[int]:
    return []


@pytest.fixture
def fast_path(near: NearCache, hits: list[int]) -> tuple[NearCacheFastPath, InnerApp]:
    inner = InnerApp()
    near.put(SAN_JOSE, ANSWER)
    return NearCacheFastPath(inner, near, on_hit=lambda: hits.append(1)), inner


async def test_a_warm_get_weather_is_answered_without_the_app_and_counted(
    fast_path: tuple[NearCacheFastPath, InnerApp], hits: list[int]
) -> None:
    app, inner = fast_path
    sent = Recorder()
    await app(_scope(), _receive, sent)
    assert inner.scopes == []
    assert hits == [1]
    assert sent.status == 200
    assert sent.headers == {
        b"content-type": b"application/json",
        b"date": b"Mon, 24 Nov 2025 16:00:03 GMT",
        b"cache-control": b"public, max-age=297, stale-while-revalidate=86100, "
        b"stale-if-error=86100",
        b"etag": ANSWER.tag[1],
        b"last-modified": b"Mon, 24 Nov 2025 16:00:00 GMT",
        b"x-cache": b"HIT",
        b"content-length": str(len(BODY)).encode(),
    }
    assert sent.messages[1] == {"type": "http.response.body", "body": BODY, "more_body": False}


@pytest.mark.parametrize(
    "validator",
    [
        (b"if-none-match", ANSWER.tag[1]),
        (b"if-none-match", b'"other", W/' + ANSWER.tag[1]),
        (b"if-none-match", b"*"),
        (b"if-modified-since", b"Mon, 24 Nov 2025 16:00:00 GMT"),
        (b"if-modified-since", b"Tue, 25 Nov 2025 08:00:00 GMT"),
    ],
)
async def test_a_warm_conditional_get_that_matches_is_a_304_with_no_body(
    fast_path: tuple[NearCacheFastPath, InnerApp], validator: tuple[bytes, bytes]
) -> None:
    app, _ = fast_path
    sent = Recorder()
    await app(_scope(headers=[validator]), _receive, sent)
    assert sent.status == 304
    assert sent.headers[b"etag"] == ANSWER.tag[1]
    assert sent.headers[b"cache-control"].startswith(b"public, max-age=297,")
    assert b"content-length" not in sent.headers
    assert sent.messages[1]["body"] == b""


@pytest.mark.parametrize(
    "validators",
    [
        [(b"if-none-match", b'"something-else"')],
        [(b"if-modified-since", b"Mon, 24 Nov 2025 15:59:59 GMT")],
        [(b"if-modified-since", b"not a date")],
        # If-None-Match decides when both are sent (RFC 9110, 13.2.2)
        [(b"if-none-match", b'"x"'), (b"if-modified-since", b"Tue, 25 Nov 2025 08:00:00 GMT")],
    ],
)
async def test_a_conditional_get_that_does_not_match_gets_the_whole_200(
    fast_path: tuple[NearCacheFastPath, InnerApp], validators: list[tuple[bytes, bytes]]
) -> None:
    app, _ = fast_path
    sent = Recorder()
    await app(_scope(headers=validators), _receive, sent)
    assert sent.status == 200
    assert sent.messages[1]["body"] == BODY


@pytest.mark.parametrize(
    "scope",
    [
        _scope(query=b"city=san%20jose"),  # another spelling: the app normalises it
        _scope(query=SAN_JOSE + b"&x=1"),
        _scope(query=b""),
        _scope(method="POST"),
        _scope(method="HEAD"),
        _scope(path="/stats"),
        _scope(path="/weather/"),
        {"type": "websocket", "path": "/weather", "query_string": SAN_JOSE},
        {"type": "lifespan"},
    ],
    ids=lambda s: f"{s['type']} {s.get('method', '')} {s.get('path', '')}?{s.get('query_string')}",
)
async def test_everything_but_an_exact_warm_get_weather_goes_to_the_app(
    fast_path: tuple[NearCacheFastPath, InnerApp], hits: list[int], scope: Any
) -> None:
    app, inner = fast_path
    await app(scope, _receive, Recorder())
    assert inner.scopes == [scope]
    assert hits == []


async def test_an_expired_entry_goes_to_the_app_again(
    fast_path: tuple[NearCacheFastPath, InnerApp], clock: near_answers.WallClock, hits: list[int]
) -> None:
    app, inner = fast_path
    clock.advance(1.0)
    sent = Recorder()
    await app(_scope(), _receive, sent)
    assert sent.status == 204
    assert len(inner.scopes) == 1
    assert hits == []


class FreshLookup:
    """A stand-in for the shared-cache lookup: answers `fresh` queries, records the rest."""

    def __init__(self, fresh: dict[bytes, Rendered], failing: bool = False) -> None:
        self.fresh = fresh
        self.failing = failing
        self.queries: list[bytes] = []

    async def __call__(
        self, query: bytes, state: dict[str, Any]
    ) -> tuple[WeatherResult, Rendered] | None:
        self.queries.append(query)
        if self.failing:
            raise RuntimeError("boom")
        answer = self.fresh.get(query)
        return None if answer is None else (replace(RESULT, age_s=7.9), answer)


async def test_a_near_miss_that_the_lookup_finds_fresh_is_answered_without_the_app(
    near: NearCache, hits: list[int]
) -> None:
    inner, lookup = InnerApp(), FreshLookup({b"city=Boise": ANSWER})
    app = NearCacheFastPath(inner, near, on_hit=lambda: hits.append(1), lookup=lookup)
    sent = Recorder()
    await app(_scope(query=b"city=Boise"), _receive, sent)
    assert inner.scopes == []
    assert hits == []  # the lookup's use case counted it, not the near cache
    assert sent.status == 200
    assert sent.headers[b"x-cache"] == b"HIT"
    assert b"age" not in sent.headers
    assert sent.headers[b"content-length"] == str(len(BODY)).encode()
    assert sent.messages[1]["body"] == BODY


@pytest.mark.parametrize("lookup", [FreshLookup({}), FreshLookup({}, failing=True)])
async def test_what_the_lookup_does_not_find_or_fails_on_goes_to_the_app(
    near: NearCache, lookup: FreshLookup
) -> None:
    inner = InnerApp()
    app = NearCacheFastPath(inner, near, on_hit=lambda: None, lookup=lookup)
    await app(_scope(query=b"city=Boise"), _receive, Recorder())
    assert lookup.queries == [b"city=Boise"]
    assert len(inner.scopes) == 1


async def test_the_lookup_is_asked_only_after_a_near_miss_of_a_get_weather(
    near: NearCache,
) -> None:
    near.put(SAN_JOSE, ANSWER)
    lookup = FreshLookup({})
    app = NearCacheFastPath(InnerApp(), near, on_hit=lambda: None, lookup=lookup)
    await app(_scope(), _receive, Recorder())
    await app(_scope(method="POST", query=b"city=Boise"), _receive, Recorder())
    await app(_scope(path="/stats", query=b"city=Boise"), _receive, Recorder())
    assert lookup.queries == []
