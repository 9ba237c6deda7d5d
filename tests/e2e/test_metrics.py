"""GET /metrics over two workers, X-Cache on every answer, and one JSON log line per request."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

REQUEST_KEYS = {"method", "path", "status", "latency_ms", "cache"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def get(app: AppServer, path: str, **params: str) -> httpx.Response:
    # A fresh connection each time, so that requests land on either worker.
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        return await client.get(path, params=params)


async def scrape(app: AppServer) -> Samples:
    text = (await get(app, "/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (n, have), value in samples.items() if n == name and wanted <= have)


def log_lines(app: AppServer) -> list[dict[str, Any]]:
    complete = app.output().split("\n")[:-1]  # the last may be half-written
    return [json.loads(line) for line in complete if line.strip()]


async def logged_requests(app: AppServer, count: int, timeout_s: float = 10.0) -> list[Any]:
    """The request lines, once `count` of them (not /healthz) are out: each is written
    just after its response, so the last may trail the client by a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [line for line in requests(app) if line["path"] != "/healthz"]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        await asyncio.sleep(0.05)


async def settled(app: AppServer, check: Any, timeout_s: float = 15.0) -> Samples:
    """Scrape until `check(samples)` holds: workers write batched counts once a second."""
    deadline = time.monotonic() + timeout_s
    while True:
        samples = await scrape(app)
        if check(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.2)


async def test_counts_from_both_workers_are_summed_in_every_scrape(start_app: StartApp) -> None:
    app = start_app({"LOG_LEVEL": "info"}, workers=2)
    sent = 0
    # Until both workers have answered (their pids are in the log), bounded.
    while sent < 300 and len(weather_pids(app)) < 2:
        assert (await get(app, "/weather", city="Boise")).status_code == 200
        sent += 1
    assert len(weather_pids(app)) == 2, "one worker got every request"

    def all_counted(samples: Samples) -> bool:
        return total(samples, "skycache_http_requests_total", route="/weather") == sent

    samples = await settled(app, all_counted)
    assert all_counted(samples)
    for _ in range(6):  # whichever worker answers the scrape sees the same sums
        again = await scrape(app)
        assert total(again, "skycache_http_requests_total", route="/weather") == sent
    hits = total(samples, "skycache_http_requests_total", route="/weather", cache="HIT")
    assert total(samples, "skycache_cache_hits_total") == hits == sent - 1
    assert total(samples, "skycache_cache_misses_total") == 1
    assert total(samples, "skycache_api_calls_total") == 1
    assert total(samples, "skycache_upstream_request_duration_seconds_count", outcome="ok") == 2
    assert total(samples, "skycache_provider_healthy") == 1


async def test_every_weather_answer_says_how_the_cache_answered(start_app: StartApp) -> None:
    app = start_app({"NEAR_CACHE_TTL": "0"}, workers=2)
    first = await get(app, "/weather", city="Boise")
    again = await get(app, "/weather", city="Boise")
    unknown = await get(app, "/weather", city="Atlantis")
    remembered = await get(app, "/weather", city="Atlantis")
    assert (first.status_code, first.headers["x-cache"]) == (200, "MISS")
    assert (again.status_code, again.headers["x-cache"]) == (200, "HIT")
    assert "date" in again.headers
    assert (unknown.status_code, unknown.headers["x-cache"]) == (404, "MISS")
    assert (remembered.status_code, remembered.headers["x-cache"]) == (404, "NEGATIVE")

    def counted(samples: Samples) -> bool:
        return total(samples, "skycache_http_requests_total", route="/weather") == 4

    samples = await settled(app, counted)
    for status, cache in [("200", "MISS"), ("200", "HIT"), ("404", "MISS"), ("404", "NEGATIVE")]:
        labels = {"route": "/weather", "status": status, "cache": cache}
        assert total(samples, "skycache_http_requests_total", **labels) == 1, labels
    assert total(samples, "skycache_negative_hits_total") == 1


async def test_an_upstream_failure_is_a_503_miss_counted_by_endpoint_and_logged(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app({"LOG_LEVEL": "info", "UPSTREAM_RETRIES": "0"})
    await fake_open_meteo.aset(mode="error500", endpoint="forecast")
    failed = await get(app, "/weather", city="Paris")
    assert failed.status_code == 503
    assert failed.headers["x-cache"] == "MISS"
    samples = await settled(
        app, lambda s: total(s, "skycache_upstream_errors_total") >= 1, timeout_s=5
    )
    failures = total(
        samples,
        "skycache_upstream_request_duration_seconds_count",
        endpoint="forecast",
        outcome="http_5xx",
    )
    assert failures == 1
    assert total(samples, "skycache_upstream_errors_total") == 1
    warnings = [line for line in log_lines(app) if line["level"] == "warning"]
    assert any(line.get("endpoint") == "forecast" for line in warnings), warnings


async def test_each_request_is_one_json_log_line_with_its_outcome(start_app: StartApp) -> None:
    app = start_app({"LOG_LEVEL": "info"})
    await get(app, "/weather", city="Boise")
    await get(app, "/weather", city="Boise")
    await get(app, "/weather", city="Atlantis")
    await get(app, "/stats")
    logged = await logged_requests(app, 4)
    lines = log_lines(app)  # every line of output parses as JSON, uvicorn's included
    assert all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)
    assert all(line.keys() >= REQUEST_KEYS for line in logged)
    summary = [(line["path"], line["status"], line["cache"]) for line in logged]
    assert summary == [
        ("/weather", 200, "MISS"),
        ("/weather", 200, "HIT"),
        ("/weather", 404, "MISS"),
        ("/stats", 200, None),
    ]
    assert all(line["level"] == "info" and line["method"] == "GET" for line in logged)
    assert isinstance(logged[0]["latency_ms"], float)


async def test_request_lines_can_be_switched_off(start_app: StartApp) -> None:
    app = start_app({"LOG_LEVEL": "info", "LOG_REQUESTS": "false"})
    assert (await get(app, "/weather", city="Boise")).status_code == 200
    assert await logged_requests(app, 1, timeout_s=1.0) == []
    assert log_lines(app), "the start-up lines are still logged"


def requests(app: AppServer) -> list[dict[str, Any]]:
    return [line for line in log_lines(app) if line.get("msg") == "request"]


def weather_pids(app: AppServer) -> set[int]:
    return {line["pid"] for line in requests(app) if line["path"] == "/weather"}
