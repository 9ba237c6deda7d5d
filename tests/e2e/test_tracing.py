"""Tracing end to end: service processes export over OTLP/HTTP to a real receiver on
loopback, which decodes what arrives. A near-cache hit, a Redis hit and a cold miss each
arrive as a server span with its cache outcome; a cold stampede over two processes shows
one upstream span and waits woken by it; no secret is in anything sent."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.stampede import ENV, warmed
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap
from tests.support.http_load import burst, weather_target
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.support.ports import free_port
from tests.support.secure_redis import SecureRedisServer

API_KEY = "owm+Trace/Key-5Wz2Qy"
PASSWORD = "rds-Trace-Pw-9Hs3Xc"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as found:
        yield found


def tracing_env(receiver: OtlpReceiver | str, instance: str) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver if isinstance(receiver, str) else receiver.url,
        "OTEL_SERVICE_NAME": "skycache-e2e",
        "OTEL_RESOURCE_ATTRIBUTES": f"service.instance.id={instance}",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: spans arrive while the test waits
    }


async def spans_when(
    receiver: OtlpReceiver, done: Callable[[list[ReceivedSpan]], bool]
) -> list[ReceivedSpan]:
    deadline = time.monotonic() + 15
    while not done(spans := receiver.received()):
        assert time.monotonic() < deadline, Counter(s.name for s in spans)
        await asyncio.sleep(0.1)
    return spans


def servers(spans: list[ReceivedSpan], key: str) -> list[ReceivedSpan]:
    return [
        s for s in spans if s.kind == "SERVER" and s.attributes.get("skycache.cache.key") == key
    ]


def leaked(raw: bytes) -> list[str]:
    forms = {f for s in (API_KEY, PASSWORD) for f in (s, quote(s, safe=""), quote_plus(s))}
    return sorted(form for form in forms if form.encode() in raw)


@pytest.mark.e2e
@pytest.mark.integration
async def test_a_miss_a_redis_hit_and_a_near_hit_arrive_as_server_spans_with_no_secret(
    receiver: OtlpReceiver, fake_open_meteo: FakeOpenMeteo
) -> None:
    with (
        SecureRedisServer(PASSWORD) as redis,
        FakeOpenWeatherMap(api_key=API_KEY, accept_any=True) as owm,
    ):
        env = {
            **tracing_env(receiver, "a"),
            "REDIS_URL": redis.url,
            "SKYCACHE_CACHE": "redis",
            "WEATHER_PROVIDER": "openweathermap,open-meteo",
            "OPENWEATHER_API_KEY": API_KEY,
            "OPENWEATHER_URL": owm.url,
            "OPEN_METEO_GEOCODING_URL": fake_open_meteo.url,
            "OPEN_METEO_FORECAST_URL": fake_open_meteo.url,
        }
        app = AppServer(env).start()
        try:
            async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
                parent = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
                miss = await client.get("/weather?city=Boise", headers=parent)
                near = await client.get("/weather?city=Boise")
                shared = await client.get("/weather?city=boise")  # another spelling: Redis'
            assert [r.headers["x-cache"] for r in (miss, near, shared)] == ["MISS", "HIT", "HIT"]
            spans = await spans_when(receiver, lambda s: len(servers(s, "boise")) == 3)
        finally:
            app.stop()
    first, second, third = servers(spans, "boise")  # in the order they ended
    assert [s.name for s in (first, second, third)] == ["GET /weather"] * 3
    assert [s.attributes["skycache.cache.outcome"] for s in (first, second, third)] == [
        "MISS",
        "HIT",
        "HIT",
    ]
    assert first.trace_id == TRACE_ID  # the client's traceparent was honoured
    assert first.resource["service.name"] == "skycache-e2e"
    in_miss = [s for s in spans if s.trace_id == TRACE_ID]
    (upstream,) = [s for s in in_miss if s.kind == "CLIENT" and "url.full" in s.attributes]
    assert "appid=***" in upstream.attributes["url.full"]
    assert upstream.attributes["http.response.status_code"] == 200
    redis_spans = [s for s in in_miss if s.attributes.get("db.system") == "redis"]
    assert redis_spans, Counter(s.name for s in in_miss)
    assert {"skycache.lease.acquire", "skycache.budget"} <= {s.name for s in in_miss}
    assert all(leaked(raw) == [] for raw in receiver.raw)


@pytest.mark.e2e
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.xdist_group("load")
async def test_a_cold_stampede_over_two_processes_shows_one_upstream_span_and_woken_waits(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, receiver: OtlpReceiver
) -> None:
    apps = [start_app({**ENV, **tracing_env(receiver, name)}) for name in ("a", "b")]
    urls = [app.url for app in apps]
    await warmed(urls, fake_open_meteo, requests=100)
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(30):
        replies = await burst(urls, weather_target("San Jose"), 100)
    assert Counter(r.status for r in replies) == {200: 100}
    spans = await spans_when(receiver, lambda s: len(servers(s, "san jose")) == 100)
    requests = servers(spans, "san jose")
    outcomes = Counter(s.attributes["skycache.cache.outcome"] for s in requests)
    assert outcomes["MISS"] == 1 and set(outcomes) <= {"MISS", "COALESCED", "HIT"}, outcomes
    traces = {s.trace_id for s in requests}
    ids = {s.span_id: s for s in requests}
    inside = [s for s in spans if s.trace_id in traces]
    fetches = [s for s in inside if s.attributes.get("skycache.upstream.endpoint") == "forecast"]
    assert len(fetches) == 1  # one upstream fetch span in all, in one process
    (fetch,) = fetches
    waits = [s for s in inside if s.name == "skycache.lease.wait"]
    assert {w.attributes["skycache.lease.outcome"] for w in waits} == {"woken"}
    # Every request but the fetch's waited: on this process's fetch, or on the other's lease.
    waited = {w.parent_id for w in waits}
    coalesced = [s for s in requests if s.attributes["skycache.cache.outcome"] == "COALESCED"]
    assert {s.span_id for s in coalesced} <= waited
    assert waited <= ids.keys()  # each wait under a request's server span
    across = [w for w in waits if w.attributes["skycache.lease.scope"] == "cluster"]
    assert across, "the other process never waited on the lease"
    assert {w.resource["service.instance.id"] for w in across} == {
        "b" if fetch.resource["service.instance.id"] == "a" else "a"
    }
    (miss,) = [s for s in requests if s.attributes["skycache.cache.outcome"] == "MISS"]
    assert fetch.trace_id == miss.trace_id


@pytest.mark.e2e
@pytest.mark.integration
def healthz_spans_at_least(count: int) -> Callable[[list[ReceivedSpan]], bool]:
    return lambda spans: sum(s.name == "GET /healthz" for s in spans) >= count


async def test_each_worker_exports_its_own_spans(
    start_app: StartApp, receiver: OtlpReceiver
) -> None:
    app = start_app(tracing_env(receiver, "a"), workers=2)
    pids: set[object] = set()
    # Both workers accept on one socket; on a busy machine one of them may take a whole
    # burst, so bursts repeat (at most five) until each worker has answered some.
    for sent in range(200, 1200, 200):
        async with asyncio.timeout(30):
            replies = await burst([app.url], "/healthz", 200)
        assert Counter(r.status for r in replies) == {200: 200}
        spans = await spans_when(receiver, healthz_spans_at_least(sent))
        pids = {s.resource["process.pid"] for s in spans if s.name == "GET /healthz"}
        if len(pids) == 2:
            break
    assert len(pids) == 2, pids  # both workers answered, each through its own exporter
    assert app.pid not in pids  # and the parent made none


@pytest.mark.e2e
@pytest.mark.integration
async def test_a_retried_upstream_call_is_two_attempts_the_second_counting_its_resend(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, receiver: OtlpReceiver
) -> None:
    app = start_app(tracing_env(receiver, "a"))
    await fake_open_meteo.aset(mode="error500", endpoint="forecast")
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        failed = await client.get("/weather?city=Denver")
    assert failed.status_code == 503
    spans = await spans_when(receiver, lambda s: len(servers(s, "denver")) == 1)
    (request,) = servers(spans, "denver")
    attempts = [s for s in spans if s.name == "GET /v1/forecast"]
    assert len(attempts) == 2, [s.attributes for s in attempts]
    assert {s.trace_id for s in attempts} == {request.trace_id}
    first, second = attempts
    assert [s.attributes["http.response.status_code"] for s in attempts] == [500, 500]
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert request.attributes["http.response.status_code"] == 503
    assert request.attributes["skycache.admission"] == "admitted"


@pytest.mark.e2e
@pytest.mark.integration
async def test_an_unreachable_receiver_costs_the_requests_nothing_but_their_spans(
    start_app: StartApp,
) -> None:
    gone = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    app = start_app({**tracing_env(gone, "a"), "OTEL_BSP_SCHEDULE_DELAY": "50"})
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        answers = [await client.get("/weather?city=Boise") for _ in range(20)]
        await asyncio.sleep(0.5)  # batches fail to export meanwhile
        answers.append(await client.get("/healthz"))
    assert [r.status_code for r in answers] == [200] * 21
