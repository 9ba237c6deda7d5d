"""TracedApp around the whole app: a server span for every request, fast-path hits too,
with its cache outcome and key, under the client's trace when it sent a traceparent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from adapters.memory.lock import MemoryLock
from adapters.observability.traced_guard import TracedStampedeGuard
from adapters.observability.traced_lock import TracedLock
from domain.model.query import DEFAULT_GRID
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.traced_app import TracedApp
from entrypoints.settings import Settings
from tests.support.spans import Spans
from tests.unit.fakes import FakeClock, FakeProvider

Service = tuple[AsyncTestClient[Any], Spans, FakeClock]
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


@pytest.fixture
async def service(request: pytest.FixtureRequest) -> AsyncIterator[Service]:
    """The whole ASGI app over in-memory adapters, its lock traced, inside TracedApp."""
    spans, clock = Spans(), FakeClock()
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "WEATHER_TTL_JITTER": "0"}
    env["NEAR_CACHE_TTL"] = getattr(request, "param", "60")
    container.settings.override(providers.Object(Settings.from_env(env)))
    container.provider.override(
        providers.Object(
            FakeProvider({"san jose": 22.5, "boise": 3.0, "oslo": 1.0, "rome": 18.0, "lima": 19.0})
        )
    )
    container.clock.override(providers.Object(clock))
    container.lock.override(providers.Object(TracedLock(MemoryLock(clock=clock), spans.tracer)))
    container.stampede_guard.override(
        providers.Singleton(
            TracedStampedeGuard, container.lock, tracer=spans.tracer, clock=container.clock
        )
    )
    app = TracedApp(create_asgi(app_wiring(container)), spans.tracer, grid=DEFAULT_GRID)
    async with AsyncTestClient(app=app) as client:
        yield client, spans, clock


def servers(spans: Spans) -> list[ReadableSpan]:
    return [span for span in spans.finished() if span.kind is SpanKind.SERVER]


def outcome(span: ReadableSpan) -> object:
    assert span.attributes is not None
    return span.attributes.get("skycache.cache.outcome")


async def test_a_miss_then_a_near_cache_hit_are_each_a_server_span(service: Service) -> None:
    client, spans, _ = service
    await client.get("/weather", params={"city": "San Jose"})
    await client.get("/weather", params={"city": "San Jose"})  # answered before Litestar
    miss, hit = servers(spans)
    assert [miss.name, hit.name] == ["GET /weather", "GET /weather"]
    assert [outcome(miss), outcome(hit)] == ["MISS", "HIT"]
    for span in (miss, hit):
        assert span.attributes is not None
        assert span.attributes["skycache.cache.key"] == "san jose"
        assert span.attributes["http.route"] == "/weather"
        assert span.attributes["http.response.status_code"] == 200
        assert span.attributes["http.request.method"] == "GET"
    # The miss took the lease as its child; the hit needed none.
    (acquire,) = spans.named("skycache.lease.acquire")
    assert acquire.parent is not None and acquire.parent.span_id == miss.context.span_id


@pytest.mark.parametrize("service", ["0"], indirect=True)
async def test_a_fresh_hit_answered_by_the_fast_path_has_its_span(service: Service) -> None:
    client, spans, _ = service
    await client.get("/weather?city=Boise")
    await client.get("/weather?city=Boise")  # no near cache: the shared cache's fresh hit
    assert [outcome(span) for span in servers(spans)] == ["MISS", "HIT"]


async def test_the_clients_traceparent_makes_the_request_a_child_of_its_trace(
    service: Service,
) -> None:
    client, spans, _ = service
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    await client.get("/weather?city=Oslo", headers={"traceparent": traceparent})
    (server,) = servers(spans)
    assert f"{server.context.trace_id:032x}" == TRACE_ID
    assert server.parent is not None and f"{server.parent.span_id:016x}" == PARENT_ID
    assert server.parent.is_remote


async def test_the_refresh_a_stale_hit_starts_is_in_that_requests_trace(
    service: Service,
) -> None:
    client, spans, clock = service
    await client.get("/weather?city=Rome")
    clock.advance(301)  # past WEATHER_TTL: the copy is stale
    spans.clear()
    stale = await client.get("/weather?city=rome&units=metric")
    assert stale.headers["x-cache"] == "STALE"
    await client.get("/healthz")  # lets the background refresh run to its end
    (request,) = [s for s in servers(spans) if outcome(s) == "STALE"]
    (refresh,) = spans.named("skycache.refresh")
    assert refresh.context.trace_id == request.context.trace_id
    assert refresh.parent is not None and refresh.parent.span_id == request.context.span_id
    assert refresh.attributes is not None and refresh.attributes["skycache.cache.key"] == "rome"
    (lease,) = spans.named("skycache.lease.acquire")  # the refresh's, under it
    assert lease.parent is not None and lease.parent.span_id == refresh.context.span_id


async def test_unknown_routes_and_methods_mint_no_new_span_names(service: Service) -> None:
    client, spans, _ = service
    await client.get("/wp-login.php")
    await client.request("BREW", "/weather")
    await client.get("/weather", params={"city": "x" * 500})
    names = [span.name for span in servers(spans)]
    assert names == ["GET", "_OTHER /weather", "GET /weather"]
    bad = servers(spans)[2]
    assert bad.attributes is not None
    assert bad.attributes["http.response.status_code"] == 400
    assert "skycache.cache.key" not in bad.attributes


async def test_unsampled_requests_record_nothing_and_are_answered_alike() -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    spans = Spans(sampler=ALWAYS_OFF)
    container = Container()
    env = {"SKYCACHE_CACHE": "memory"}
    container.settings.override(providers.Object(Settings.from_env(env)))
    container.provider.override(
        providers.Object(
            FakeProvider({"san jose": 22.5, "boise": 3.0, "oslo": 1.0, "rome": 18.0, "lima": 19.0})
        )
    )
    app = TracedApp(create_asgi(app_wiring(container)), spans.tracer, grid=DEFAULT_GRID)
    async with AsyncTestClient(app=app) as client:
        answers = [await client.get("/weather?city=Lima") for _ in range(2)]
    assert [r.headers["x-cache"] for r in answers] == ["MISS", "HIT"]
    assert spans.finished() == ()
