"""The Metrics tee, batching, the request, lock and upstream observers, and JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

import httpx
import pytest

from adapters.flushes import Flushes
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from adapters.observability.prometheus_instruments import Instruments
from adapters.observability.prometheus_metrics import Batch
from adapters.providers.registry import endpoint_labels
from adapters.system_clock import SystemClock
from domain.model.counters import CounterName
from entrypoints.http.middleware.observed_app import ObservedApp
from entrypoints.logging_setup import JsonFormatter
from ports.lock import Held, Signal
from tests.unit.fakes import FakeClock


@pytest.fixture
def instruments() -> Instruments:
    return Instruments(multiprocess=False)


def value(instruments: Instruments, name: str, **labels: str) -> float:
    assert instruments.registry is not None
    return instruments.registry.get_sample_value(name, labels) or 0.0


async def test_the_tee_counts_into_the_stats_and_into_prometheus(
    instruments: Instruments,
) -> None:
    stats = MemoryMetrics()
    tee = instruments.count_too(stats)
    tee.incr(CounterName.CACHE_HITS, 2)
    tee.incr_labelled(CounterName.API_CALLS, "open-meteo")
    await tee.flush()
    assert (await tee.totals())[CounterName.CACHE_HITS] == 2
    assert value(instruments, "skycache_cache_hits_total") == 2
    labels = {"provider": "open-meteo"}
    assert value(instruments, "skycache_api_calls_by_provider_total", **labels) == 1


async def test_batched_counts_are_written_at_the_flush_period(instruments: Instruments) -> None:
    clock = FakeClock()
    batch = Batch()
    flushes = Flushes(clock)
    flushes.register("prometheus counters", batch.flush, every_s=1.0)
    flushes.open()
    await asyncio.sleep(0)  # the timer starts waiting
    try:
        batch.add(instruments.lock_contended, 3)
        clock.advance(0.9)
        await asyncio.sleep(0)
        assert value(instruments, "skycache_lock_contended_total") == 0
        clock.advance(0.1)
        await asyncio.sleep(0)
        assert value(instruments, "skycache_lock_contended_total") == 3
    finally:
        await flushes.close()


async def test_a_scrape_writes_this_worker_s_batched_counts_first(
    instruments: Instruments,
) -> None:
    instruments.batch.add(instruments.lock_contended, 2)
    assert value(instruments, "skycache_lock_contended_total") == 0
    scraped = {s.name: s.value for f in instruments.collect() for s in f.samples}
    assert scraped["skycache_lock_contended_total"] == 2


def answering(status: int, headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def send_nowhere(message: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/weather", "/weather"),
        ("/weather/batch", "/weather/batch"),
        ("/wp-admin.php", "unmatched"),
    ],
)
async def test_requests_are_counted_and_timed_under_a_bounded_route(
    instruments: Instruments, path: str, route: str
) -> None:
    observed = ObservedApp(answering(404, [(b"x-cache", b"MISS")]), instruments, access_log=None)
    scope = {"type": "http", "method": "GET", "path": path}
    await observed(scope, None, send_nowhere)  # type: ignore[arg-type]
    instruments.batch.flush()
    labels = {"route": route, "status": "404", "cache": "MISS"}
    assert value(instruments, "skycache_http_requests_total", **labels) == 1
    assert value(instruments, "skycache_http_request_duration_seconds_count", **labels) == 1


async def test_near_cache_hits_are_counted_as_weather_hits(instruments: Instruments) -> None:
    observed = ObservedApp(answering(200, []), instruments, access_log=None)
    observed.near_hit()
    observed.near_hit()
    instruments.batch.flush()
    labels = {"route": "/weather", "status": "200", "cache": "HIT"}
    assert value(instruments, "skycache_http_requests_total", **labels) == 2


async def test_lock_contention_and_waits_are_observed(instruments: Instruments) -> None:
    lock = instruments.observe_lock(MemoryLock(clock=FakeClock()), SystemClock())
    lease = await lock.acquire("boise", 5)
    watch = lock.watch("boise")
    assert isinstance(await lock.acquire("boise", 5), Held)
    assert not isinstance(lease, Held)
    await lease.release(Signal.DONE)
    assert await watch.wait(1) is Signal.DONE
    watch.close()
    assert value(instruments, "skycache_lock_contended_total") == 1
    assert value(instruments, "skycache_lock_wait_seconds_count", signal="done") == 1


async def test_upstream_calls_are_observed_by_endpoint_and_failures_logged(
    instruments: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()

    def upstream(request: httpx.Request) -> httpx.Response:
        clock.advance(0.25)  # each call takes a quarter second on the clock
        if request.url.path == "/v1/forecast":
            raise httpx.ConnectTimeout("slow", request=request)
        return httpx.Response(500 if "fail" in str(request.url) else 200, json={})

    transport = instruments.observe_transport(
        httpx.MockTransport(upstream), endpoint_labels(), clock
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as client:
        await client.get("/v1/search")
        await client.get("/v1/search", params={"name": "fail"})
        with pytest.raises(httpx.ConnectTimeout):
            await client.get("/v1/forecast")
    name = "skycache_upstream_request_duration_seconds_count"
    assert value(instruments, name, endpoint="geocoding", outcome="ok") == 1
    assert value(instruments, name, endpoint="geocoding", outcome="http_5xx") == 1
    assert value(instruments, name, endpoint="forecast", outcome="timeout") == 1
    seconds = "skycache_upstream_request_duration_seconds_sum"
    assert value(instruments, seconds, endpoint="geocoding", outcome="ok") == 0.25
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [getattr(r, "outcome", None) for r in warned] == ["http_5xx", "timeout"]


def test_a_log_record_is_one_json_line_with_its_extras_and_traceback() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("skycache.x", logging.WARNING, "", 0, "went %s", ("wrong",), None)
    record.exc_info = exc_info
    record.endpoint = "forecast"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["msg"] == "went wrong"
    assert parsed["level"] == "warning"
    assert parsed["logger"] == "skycache.x"
    assert parsed["endpoint"] == "forecast"
    assert "ValueError: boom" in parsed["exc"]
    assert parsed["ts"].endswith("Z")
