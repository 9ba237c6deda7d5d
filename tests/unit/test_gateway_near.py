"""The gateway's near cache: whole warm answers for about a second, before the framework,
never past their freshness, never stale, bounded by count and bytes."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from typing import Any

from domain.model.gateway import Api, WireFormat
from domain.model.gateway_answer import GatewayAnswer
from domain.model.outcome import CacheOutcome
from entrypoints.http.gateway.answer import etag
from entrypoints.http.gateway.near import GatewayFastPath, GatewayNear

NOW = 1_717_243_200.0
PATH, QUERY = "/v1/forecast", b"latitude=1,2&longitude=3,4&hourly=temperature_2m"
HIT, MISS, STALE = CacheOutcome.HIT, CacheOutcome.MISS, CacheOutcome.STALE


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def answer(*outcomes: CacheOutcome, fresh_s: float = 900.0, body: bytes = b"[{},{}]") -> Any:
    return GatewayAnswer(
        body=body,
        outcomes=outcomes or (MISS, HIT),
        fetched_at=NOW,
        modified_at=NOW,
        fresh_until=NOW + fresh_s,
        stale_until=NOW + 86_400,
    )


def test_an_answer_is_kept_for_the_ttl_as_a_hit_of_every_location() -> None:
    clock = Clock()
    near = GatewayNear(ttl_s=1.0, clock=clock)
    near.keep(PATH, QUERY, answer(MISS, HIT), WireFormat.JSON)
    clock.now += 0.999
    kept = near.get(PATH, QUERY)
    assert kept is not None and kept.answer.outcomes == (HIT, HIT)
    assert near.get("/v1/air-quality", QUERY) is None  # its own path
    clock.now += 0.001
    assert near.get(PATH, QUERY) is None


def test_never_past_the_answers_freshness_and_never_a_stale_one() -> None:
    clock = Clock()
    near = GatewayNear(ttl_s=1.0, clock=clock)
    near.keep(PATH, QUERY, answer(MISS, fresh_s=0.5), WireFormat.JSON)
    near.keep(PATH, b"stale", answer(STALE), WireFormat.JSON)
    clock.now += 0.499
    assert near.get(PATH, QUERY) is not None
    clock.now += 0.001
    assert near.get(PATH, QUERY) is None
    assert near.get(PATH, b"stale") is None


def test_bounded_by_count_and_by_bytes_the_oldest_go_first() -> None:
    near = GatewayNear(ttl_s=1.0, max_items=2, max_bytes=100, clock=Clock())
    for name in (b"a", b"b", b"c"):
        near.keep(PATH, name, answer(MISS), WireFormat.JSON)
    assert [near.get(PATH, n) is not None for n in (b"a", b"b", b"c")] == [False, True, True]
    near.keep(PATH, b"big", answer(MISS, body=b"x" * 95), WireFormat.JSON)
    assert [near.get(PATH, n) is not None for n in (b"b", b"c", b"big")] == [False, False, True]
    near.keep(PATH, b"huge", answer(MISS, body=b"x" * 101), WireFormat.JSON)
    assert near.get(PATH, b"huge") is None  # one body above the whole bound is not kept


class App:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1


async def served(fast: GatewayFastPath, method: str = "GET", headers: Any = ()) -> list[Any]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": PATH, "query_string": QUERY}
    await fast({**scope, "headers": list(headers)}, None, send)  # type: ignore[arg-type]
    return sent


async def test_a_warm_get_is_answered_before_the_app_and_counted_per_location() -> None:
    near, app, hits, answers = GatewayNear(ttl_s=60.0, clock=Clock()), App(), [], []
    fast = GatewayFastPath(
        app,  # type: ignore[arg-type]
        near,
        lambda api, n: hits.append((api, n)),
        lambda path, status, cache: answers.append((path, status, cache)),
    )
    assert await served(fast) == [] and app.calls == 1  # cold: the app's
    near.keep(PATH, QUERY, answer(MISS, HIT), WireFormat.JSON)
    start, body = await served(fast)
    head = dict(start["headers"])
    assert (start["status"], body["body"], app.calls) == (200, b"[{},{}]", 1)
    assert (head[b"x-cache"], head[b"x-cache-locations"]) == (b"HIT", b"hit=2 miss=0 stale=0")
    assert head[b"content-type"].startswith(b"application/json")
    assert hits == [(Api.FORECAST, 2)]
    assert answers == [(PATH, 200, "HIT")]  # the request, counted as ObservedApp counts one
    assert await served(fast, "POST") == [] and app.calls == 2  # a form POST is the app's
    assert len(answers) == 1


async def test_a_matching_etag_is_a_304_from_the_fast_path() -> None:
    near = GatewayNear(ttl_s=60.0, clock=Clock())
    fast = GatewayFastPath(App(), near, lambda api, n: None)  # type: ignore[arg-type]
    near.keep(PATH, QUERY, answer(MISS, HIT), WireFormat.JSON)
    start, body = await served(fast, headers=[(b"if-none-match", etag(b"[{},{}]"))])
    assert (start["status"], body["body"]) == (304, b"")


def fenced(*fences: int) -> Any:
    return dataclass_replace(answer(MISS, MISS), fences=fences)


def test_an_answer_from_older_fetches_never_replaces_a_newer_one() -> None:
    """A request that read the parts just before a newer write keeps its answer late."""
    clock = Clock()
    near = GatewayNear(ttl_s=1.0, clock=clock)
    near.keep(PATH, QUERY, fenced(20, 20), WireFormat.JSON)
    near.keep(PATH, QUERY, fenced(19, 20), WireFormat.JSON)  # one location older
    kept = near.get(PATH, QUERY)
    assert kept is not None and kept.answer.fences == (20, 20)
    near.keep(PATH, QUERY, fenced(20, 20), WireFormat.JSON)  # equal: replaced, as the stores do
    near.keep(PATH, QUERY, fenced(21, 20), WireFormat.JSON)  # newer
    kept = near.get(PATH, QUERY)
    assert kept is not None and kept.answer.fences == (21, 20)


def test_answers_each_newer_in_one_location_leave_neither_kept() -> None:
    near = GatewayNear(ttl_s=1.0, clock=Clock())
    near.keep(PATH, QUERY, fenced(21, 20), WireFormat.JSON)
    near.keep(PATH, QUERY, fenced(20, 21), WireFormat.JSON)
    assert near.get(PATH, QUERY) is None


def test_an_expired_newer_answer_protects_nothing() -> None:
    clock = Clock()
    near = GatewayNear(ttl_s=1.0, clock=clock)
    near.keep(PATH, QUERY, fenced(21, 21), WireFormat.JSON)
    clock.now += 1.0
    near.keep(PATH, QUERY, fenced(20, 20), WireFormat.JSON)
    kept = near.get(PATH, QUERY)
    assert kept is not None and kept.answer.fences == (20, 20)
