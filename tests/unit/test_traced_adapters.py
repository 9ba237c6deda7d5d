"""The tracing decorators: lease waits (on another holder's lease, or on this process's
own fetch) and how they ended, upstream attempts with their resends, and the budget's
admission decisions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from opentelemetry import context, trace

from adapters.memory.lock import MemoryLock
from adapters.observability.traced_budget import TracedBudget
from adapters.observability.traced_guard import TracedStampedeGuard
from adapters.observability.traced_lock import TracedLock
from adapters.observability.traced_transport import PRIORITY, TracedTransport
from adapters.observability.tracing import SERVER_SPAN
from adapters.upstream_call import carrying
from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import UpstreamBudgetSpent, UpstreamUnavailable
from entrypoints.settings import StartupError
from entrypoints.wiring import tracing
from ports.lock import Held, Signal
from tests.support.spans import Spans
from tests.unit.fakes import FakeClock

ENDPOINTS = {"/v1/forecast": "forecast"}


@pytest.fixture
def spans() -> Spans:
    return Spans()


def outcomes(spans: Spans, name: str) -> list[object]:
    return [span.attributes["skycache.lease.outcome"] for span in spans.named(name)]  # type: ignore[index]


async def _wait_ended_by_the_holder(spans: Spans, key: str, signal: Signal) -> Signal:
    """One asker holds `key`, a second finds it held and waits, the holder lets go with
    `signal`: what the wait heard."""
    lock = TracedLock(MemoryLock(clock=FakeClock()), spans.tracer)
    lease = await lock.acquire(key, 5.0)
    assert isinstance(await lock.acquire(key, 5.0), Held)
    watch = lock.watch(key)
    waiting = asyncio.create_task(watch.wait(5.0))
    await asyncio.sleep(0)
    assert not isinstance(lease, Held)
    await lease.release(signal)
    try:
        return await waiting
    finally:
        watch.close()


async def test_a_waiter_woken_by_the_holders_release_ends_its_wait_woken(spans: Spans) -> None:
    assert await _wait_ended_by_the_holder(spans, "lisbon", Signal.DONE) is Signal.DONE
    assert outcomes(spans, "skycache.lease.acquire") == ["acquired", "held"]
    assert outcomes(spans, "skycache.lease.wait") == ["woken"]
    assert spans.named("skycache.lease.wait")[0].attributes["skycache.cache.key"] == "lisbon"  # type: ignore[index]


async def test_a_silent_wait_then_a_lapsed_lease_is_a_take_over(spans: Spans) -> None:
    clock = FakeClock()
    lock = TracedLock(MemoryLock(clock=clock), spans.tracer)
    await lock.acquire("oslo", 5.0)  # a holder that dies without releasing
    watch = lock.watch("oslo")
    assert await watch.wait(0.01) is Signal.TIMEOUT
    clock.advance(6)  # its lease lapsed
    assert not isinstance(await lock.acquire("oslo", 5.0), Held)
    watch.close()
    assert outcomes(spans, "skycache.lease.wait") == ["timed_out"]
    assert outcomes(spans, "skycache.lease.acquire") == ["acquired", "took_over"]


async def test_a_holder_that_failed_ends_the_wait_holder_failed(spans: Spans) -> None:
    assert await _wait_ended_by_the_holder(spans, "rome", Signal.FAILED) is Signal.FAILED
    assert outcomes(spans, "skycache.lease.wait") == ["holder_failed"]


class Upstream:
    """Answers each request with the next of `statuses`."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.statuses.pop(0), json={})


def client(spans: Spans, upstream: Upstream) -> httpx.AsyncClient:
    transport = TracedTransport(httpx.MockTransport(upstream), spans.tracer, ENDPOINTS)
    return httpx.AsyncClient(transport=transport, base_url="https://api.example.test")


async def test_each_attempt_is_a_client_span_and_a_retry_counts_its_resend(spans: Spans) -> None:
    async with client(spans, Upstream(503, 200)) as http:
        refresh = carrying(UpstreamCall(Priority.REFRESH))
        assert (await http.get("/v1/forecast?lat=1", extensions=refresh)).status_code == 503
        assert (await http.get("/v1/forecast?lat=1", extensions=refresh)).status_code == 200
    first, second = spans.named("GET /v1/forecast")
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["skycache.upstream.endpoint"] == "forecast"
    assert second.attributes["url.template"] == "/v1/forecast"
    assert second.attributes["skycache.admission.priority"] == "refresh"
    assert second.attributes["server.address"] == "api.example.test"


async def test_an_answered_call_starts_the_count_again(spans: Spans) -> None:
    async with client(spans, Upstream(200, 200)) as http:
        await http.get("/v1/forecast?lat=1")
        await http.get("/v1/forecast?lat=1")
    assert all("http.request.resend_count" not in (s.attributes or {}) for s in spans.finished())
    # made for no fetch: the lowest priority
    assert all(s.attributes and s.attributes[PRIORITY] == "unknown" for s in spans.finished())


async def test_an_api_key_in_the_url_never_reaches_the_span(spans: Spans) -> None:
    async with client(spans, Upstream(200)) as http:
        await http.get("/data/2.5/weather", params={"q": "Lisbon", "appid": "owm+Secret/Key9"})
    (span,) = spans.finished()
    assert span.name == "GET"  # a path it was not told of is no template
    assert span.attributes is not None
    url = str(span.attributes["url.full"])
    assert "Secret" not in url
    assert "appid=***" in url
    assert span.attributes["skycache.upstream.endpoint"] == "other"


class Budget:
    """Refuses when `spent`; else admits, as a probe when `probe`."""

    def __init__(self, *, spent: bool = False, probe: bool = False) -> None:
        self.spent = spent
        self.probe = probe

    async def spend(self, upstream: str, priority: Priority, weight: float = 1.0) -> bool:
        if self.spent:
            raise UpstreamBudgetSpent("spent", retry_after_s=12.0)
        return self.probe

    async def close(self, upstream: str, until: float) -> None:
        return None

    async def reopen(self, upstream: str) -> None:
        return None


@pytest.mark.parametrize(
    ("budget", "decision"),
    [(Budget(), "admitted"), (Budget(probe=True), "probe"), (Budget(spent=True), "refused")],
)
async def test_the_admission_decision_is_on_its_span_and_on_the_requests(
    spans: Spans, budget: Budget, decision: str
) -> None:
    traced = TracedBudget(budget, spans.tracer)
    request = spans.tracer.start_span("GET /weather", kind=trace.SpanKind.SERVER)
    token = context.attach(context.set_value(SERVER_SPAN, request))
    try:
        await traced.spend("open-meteo", Priority.KNOWN)
    except UpstreamBudgetSpent:
        assert decision == "refused"
    finally:
        context.detach(token)
        request.end()
    (budget_span,) = spans.named("skycache.budget")
    assert budget_span.attributes is not None
    assert budget_span.attributes["skycache.admission"] == decision
    assert budget_span.attributes["skycache.admission.priority"] == "known"
    (server,) = spans.named("GET /weather")
    assert server.attributes is not None and server.attributes["skycache.admission"] == decision


async def _joined_runs(spans: Spans, fetched: str | Exception, runs: int) -> list[Any]:
    """`runs` requests for one key in this process; the first fetches `fetched` (or raises
    it) only once the others have joined it."""
    guard: TracedStampedeGuard[str] = TracedStampedeGuard(
        MemoryLock(clock=FakeClock()), tracer=spans.tracer, clock=FakeClock()
    )
    gate = asyncio.Event()

    async def load(_fence: int | None) -> str:
        await gate.wait()
        if isinstance(fetched, Exception):
            raise fetched
        return fetched

    async def peek() -> str | None:
        return None

    tasks = [asyncio.create_task(guard.run("faro", load, peek)) for _ in range(runs)]
    await asyncio.sleep(0.01)
    gate.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_requests_joining_this_processs_fetch_each_get_a_wait_span(spans: Spans) -> None:
    assert [role.value for _, role in await _joined_runs(spans, "sunny", 3)] == [
        "owner",
        "coalesced",
        "coalesced",
    ]
    waits = spans.named("skycache.lease.wait")
    assert [w.attributes for w in waits] == [
        {
            "skycache.cache.key": "faro",
            "skycache.lease.scope": "process",
            "skycache.lease.outcome": "woken",
        }
    ] * 2


async def test_a_joined_fetch_that_fails_ends_its_waits_holder_failed(spans: Spans) -> None:
    results = await _joined_runs(spans, UpstreamUnavailable("down"), 2)
    assert all(isinstance(r, UpstreamUnavailable) for r in results)
    (wait,) = spans.named("skycache.lease.wait")
    assert wait.attributes is not None
    assert wait.attributes["skycache.lease.outcome"] == "holder_failed"


ON = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        (ON, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({**ON, "OTEL_SDK_DISABLED": "true"}, False),
        ({**ON, "OTEL_SDK_DISABLED": "false"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),
    ],
)
def test_tracing_is_on_only_when_an_otlp_endpoint_is_named(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing.wanted(environ) is on


def test_tracing_asked_for_without_the_otel_extra_is_a_one_line_start_up_error() -> None:
    def missing(module: str) -> object | None:
        if module.startswith("opentelemetry.exporter"):
            raise ModuleNotFoundError(module)
        return object()

    tracing.check_installed({}, find=missing)  # off: nothing is looked for
    with pytest.raises(StartupError) as refused:
        tracing.check_installed(ON, find=missing)
    assert str(refused.value).startswith("OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is not")
    assert "\n" not in str(refused.value)
    tracing.check_installed(ON)  # this venv has the extra
