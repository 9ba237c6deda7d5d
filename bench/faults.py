"""`python -m bench.faults`: what each upstream fault costs the users and the upstream.

For each fault: start one service process on an emptied Redis, warm the hot cities
against the fake Open-Meteo, let their copies go stale, switch the fault on, then send
a steady stream of requests for a few seconds (4 in 5 for hot cities with a stale
copy, 1 in 5 for cities never fetched) and count statuses, stale answers, latency and
the calls the fake received. Loopback only; the run takes under two minutes and
writes docs/faults-results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import redis

from bench.fault_report import report, table
from bench.fault_traffic import FaultRun, drive
from bench.servers import Server, skycache_server
from tests.support.fake_open_meteo import FakeOpenMeteo, closed_port_url
from tests.support.fake_open_meteo.cities import CITIES, HOT_CITIES
from tests.support.redis_server import LocalRedisServer

OUT = Path(__file__).resolve().parents[1] / "docs" / "faults-results.md"
# What follows this line in OUT was measured elsewhere (the e2e tests): kept on a rewrite.
KEPT = "<!-- Measured by the e2e tests: kept when `python -m bench.faults` rewrites the above. -->"
COLD_CITIES = [row[0] for row in CITIES if row[0] not in HOT_CITIES]
ENV = {
    "SKYCACHE_CACHE": "redis",
    "WEATHER_PROVIDER": "open-meteo",
    "WEATHER_TTL": "1",
    "WEATHER_TTL_JITTER": "0",
    "NEAR_CACHE_TTL": "0",
    "UPSTREAM_TIMEOUT": "0.5",
    "BREAKER_RESET": "2",
    # One client sends every cold city here: the guard is measured, not the miss budget.
    "UPSTREAM_MISSES_PER_CLIENT": "0",
}
UNGUARDED = {"BREAKER_FAILURES": "1000000", "UPSTREAM_CONCURRENCY": "64"}


@dataclass(frozen=True)
class Fault:
    label: str
    control: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    refused: bool = False  # point the service at a port where nothing listens


FAULTS = [
    Fault("none (healthy upstream)"),
    Fault("HTTP 500", {"mode": "error500"}),
    Fault("HTTP 500, breaker and cap off", {"mode": "error500"}, UNGUARDED),
    Fault("HTTP 429 + Retry-After: 60 + reason", {"mode": "error429"}),
    Fault("timeout (upstream hangs)", {"mode": "timeout"}),
    Fault("slow upstream (10 s per answer)", {"latency_s": 10}),
    Fault("connection refused", refused=True),
    Fault("connection dropped mid-answer", {"mode": "refuse"}),
    Fault("invalid JSON", {"mode": "bad_json"}),
    Fault("JSON missing fields", {"mode": "missing_fields"}),
    Fault("forecast of the wrong shape", {"mode": "wrong_shape"}),
    # Issue 11: answers unusable for one city, odd 200s, untrusted headers and bodies.
    Fault("forecast: humidity null", {"mode": "null_humidity", "endpoint": "forecast"}),
    Fault("forecast: temperature missing", {"mode": "missing_temperature", "endpoint": "forecast"}),
    Fault("forecast: 400 for the point", {"mode": "error400", "endpoint": "forecast"}),
    Fault('geocoding: 200 `{"error": true}`', {"mode": "error_200", "endpoint": "geocoding"}),
    Fault(
        "HTTP 429 + Retry-After in 2099",
        {"mode": "error429", "retry_after": "Thu, 01 Jan 2099 00:00:00 GMT"},
    ),
    Fault("forecast: 300 MB body", {"mode": "huge_body", "endpoint": "forecast"}),
    Fault(
        "forecast: one cold city's body trickles",
        {"mode": "trickle", "endpoint": "forecast", "only": ["Topeka"]},
    ),
]


HOT = [f"/weather?city={quote(c)}" for c in HOT_CITIES]
COLD = [f"/weather?city={quote(c)}" for c in COLD_CITIES]


def paths(requests: int) -> list[str]:
    return [COLD[i // 5 % len(COLD)] if i % 5 == 4 else HOT[i % len(HOT)] for i in range(requests)]


@contextlib.contextmanager
def service(env: Mapping[str, str]) -> Iterator[Server]:
    app = skycache_server(env).start(timeout_s=20.0)
    try:
        yield app
    finally:
        app.stop()


def run_fault(fault: Fault, redis_url: str, fake: FakeOpenMeteo, args: Any) -> FaultRun:
    redis.Redis.from_url(redis_url).flushdb()
    fake.reset()
    env = {**ENV, "REDIS_URL": redis_url, **fault.env}
    urls = {"OPEN_METEO_GEOCODING_URL": fake.url, "OPEN_METEO_FORECAST_URL": fake.url}
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(service({**env, **urls}))
        warm(app.url, redis_url)
        time.sleep(1.2)  # WEATHER_TTL=1: every warmed copy is stale now
        if fault.refused:  # the same Redis, a service that reaches no upstream
            stack.close()
            nowhere = dict.fromkeys(urls, closed_port_url())
            app = stack.enter_context(service({**env, **nowhere}))
        fake.set(**fault.control)
        before, attempts_before = sum(fake.calls().values()), attempts(app.url)
        started = time.monotonic()
        traffic = paths(round(args.rate * args.seconds))
        samples = asyncio.run(drive(app.url, traffic, parallel=args.parallel, rate=args.rate))
        duration = time.monotonic() - started
        calls = sum(fake.calls().values()) - before
        tried = attempts(app.url)
    tried = None if tried is None or attempts_before is None else tried - attempts_before
    return FaultRun(fault.label, samples, calls, duration, tried)


def attempts(url: str) -> int | None:
    """Provider calls the service itself counted (retries in, refusals out), via /stats."""
    stats = httpx.get(f"{url}/stats", timeout=10).json()
    by_provider = stats.get("api_attempts_by_provider")
    return by_provider.get("open-meteo") if isinstance(by_provider, dict) else None


def warm(url: str, redis_url: str) -> None:
    """Every hot city gets a copy in Redis, or the run stops: its numbers would lie."""
    statuses = {s.status for s in asyncio.run(drive(url, HOT, parallel=1))}
    copies = len(redis.Redis.from_url(redis_url).keys("weather:*"))
    if statuses != {200} or copies < len(HOT):
        raise RuntimeError(f"warming failed: statuses {statuses}, {copies} copies in Redis")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4, help="how long each fault lasts")
    parser.add_argument("--rate", type=float, default=100, help="requests per second")
    parser.add_argument("--parallel", type=int, default=20, help="most requests in flight")
    parser.add_argument("--no-write", action="store_true", help="print, do not save")
    args = parser.parse_args(argv)
    with LocalRedisServer() as redis_server, FakeOpenMeteo() as fake:
        runs = []
        for fault in FAULTS:
            runs.append(run_fault(fault, redis_server.url, fake, args))
            print(table(runs[-1:]).splitlines()[-1], flush=True)
    text = report(runs, ENV, len(HOT_CITIES), args)
    print(text)
    if not args.no_write:
        OUT.parent.mkdir(exist_ok=True)
        old = OUT.read_text() if OUT.exists() else ""
        OUT.write_text(text + ("\n" + old[old.index(KEPT) :] if KEPT in old else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
