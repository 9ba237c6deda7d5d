"""The near cache and its ASGI fast path, with a fake clock and a fake inner app."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.weather import Weather
from entrypoints.http.weather.answer import Rendered, render
from entrypoints.http.weather.fast_path import NearCacheFastPath
from entrypoints.http.weather.near_cache import NearCache

FETCHED_AT = 1_764_000_000.0  # Mon, 24 Nov 2025 16:00:00 GMT
RENDERED_AT = FETCHED_AT + 3.2  # the wall clock the tests start at
RESULT = WeatherResult(
    weather=Weather(city="San Jose", temperature=18.4, humidity=65, description=None),
    outcome=CacheOutcome.HIT,
    age_s=3.2,
    fresh_for_s=296.8,
    stale_for_s=86_396.8,
    fetched_at=FETCHED_AT,
)
ANSWER = render(RESULT, now=RENDERED_AT)
BODY = ANSWER.body["body"]
SAN_JOSE = b"city=San%20Jose"


def answer_fresh_for(fresh_for_s: float) -> Rendered:
    return render(replace(RESULT, fresh_for_s=fresh_for_s), now=RENDERED_AT)


class FakeClock:
    def __init__(self) -> None:
        self.now = RENDERED_AT

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class InnerApp:
    """The app behind the fast path: records what reached it and answers 204."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def near(clock: FakeClock) -> NearCache:
    return NearCache(ttl_s=1.0, max_items=3, clock=clock)


def body_of(near: NearCache, query: bytes) -> bytes | None:
    """The body a plain GET of `query` is answered with from the near cache, or None."""
    found = near.answer(query, [])
    return None if found is None else found[1]["body"]


def test_an_entry_is_served_until_its_ttl_then_forgotten(near: NearCache, clock: FakeClock) -> None:
    near.put(SAN_JOSE, ANSWER)
    clock.advance(0.99)
    assert body_of(near, SAN_JOSE) == BODY
    clock.advance(0.01)
    assert body_of(near, SAN_JOSE) is None
    assert len(near) == 0


def test_an_entry_never_outlives_the_freshness_it_was_stored_with(
    near: NearCache, clock: FakeClock
) -> None:
    near.put(SAN_JOSE, answer_fresh_for(0.2))
    clock.advance(0.19)
    assert body_of(near, SAN_JOSE) is not None
    clock.advance(0.01)
    assert body_of(near, SAN_JOSE) is None


def test_an_entry_with_no_freshness_left_or_a_stale_one_is_not_stored(near: NearCache) -> None:
    near.put(SAN_JOSE, answer_fresh_for(0))
    near.keep(b"city=Boise", replace(RESULT, outcome=CacheOutcome.STALE), ANSWER)
    near.put(b"city=Paris", render(replace(RESULT, outcome=CacheOutcome.STALE)))
    assert len(near) == 0


def test_the_cache_holds_at_most_max_items_and_evicts_the_least_recently_used(
    near: NearCache,
) -> None:
    for query in (b"city=a", b"city=b", b"city=c"):
        near.put(query, ANSWER)
    assert body_of(near, b"city=a") is not None  # a is now the most recently used
    near.put(b"city=d", ANSWER)
    assert len(near) == 3
    assert body_of(near, b"city=b") is None
    assert all(body_of(near, q) is not None for q in (b"city=a", b"city=c", b"city=d"))


@pytest.mark.parametrize(("ttl_s", "max_items"), [(0, 4096), (1.0, 0)])
def test_a_zero_ttl_or_size_disables_the_cache(ttl_s: float, max_items: int) -> None:
    near = NearCache(ttl_s=ttl_s, max_items=max_items)
    near.put(SAN_JOSE, ANSWER)
    assert not near.enabled
    assert body_of(near, SAN_JOSE) is None


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
    fast_path: tuple[NearCacheFastPath, InnerApp], clock: FakeClock, hits: list[int]
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

    async def __call__(self, query: bytes) -> tuple[WeatherResult, Rendered] | None:
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
