"""`python -m bench.tracing_cost`: what tracing costs the hit path, off and sampled.

Warm near-cache hits and Redis hits (NEAR_CACHE_TTL=0) on 50 cities, 2 workers, with
tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset: nothing of OpenTelemetry is imported),
sampled at 1% (`traceidratio`, the advice of docs/TRACING.md), and every request sampled,
exporting over OTLP/HTTP to a receiver on loopback that decodes each batch. The rows are
taken in turn round after round (so a burst of other load lands on all of them); ratios
to the "off" row of the same kind matter, not req/s.

`--in-process` times what the server span adds to a near-cache hit inside one process
(the app called directly, CPU time per call), far steadier than the servers on a busy box.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import Any

from dependency_injector import providers
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Message
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased

from bench import load, report
from bench.http import machine
from bench.options import load_bench_parser
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from domain.model.query import DEFAULT_GRID
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.traced_app import TracedApp
from entrypoints.settings import Settings
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.otlp_receiver import OtlpReceiver
from tests.support.redis_server import LocalRedisServer

SAMPLING = {
    "off": None,
    "1% sampled": {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"},
    "all sampled": {"OTEL_TRACES_SAMPLER": "always_on"},
}


HIT: dict[str, Any] = {
    "type": "http",
    "method": "GET",
    "path": "/weather",
    "query_string": b"city=Lisbon",
    "scheme": "http",
    "client": ("127.0.0.1", 50000),
    "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
}


async def _per_call_us(app: ASGIApp, calls: int) -> float:
    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    started = time.process_time()
    for _ in range(calls):
        await app(HIT, receive, send)  # type: ignore[arg-type]
    return (time.process_time() - started) / calls * 1e6


async def in_process(calls: int = 50_000) -> None:
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "WEATHER_PROVIDER": "simulated", "NEAR_CACHE_TTL": "3600"}
    container.settings.override(providers.Object(Settings.from_env(env)))
    app = create_asgi(app_wiring(container))
    samplers: dict[str, Sampler] = {
        "1% sampled": ParentBased(TraceIdRatioBased(0.01)),
        "all sampled": ALWAYS_ON,
    }
    async with AsyncTestClient(app=app) as client:
        await client.get("/weather?city=Lisbon")  # now a near-cache hit
        print("| near-cache hit, in process | CPU µs/call |\n|---|---:|")
        print(f"| tracing off | {await _per_call_us(app, calls):.1f} |")
        for label, sampler in samplers.items():
            # No processor: what is measured is the request's side, not the export thread.
            tracer = TracerProvider(sampler=sampler).get_tracer("skycache")
            traced = TracedApp(app, tracer, grid=DEFAULT_GRID)
            print(f"| tracing {label} | {await _per_call_us(traced, calls):.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = load_bench_parser("bench.tracing_cost", __doc__, seconds=5, rounds=2, connections=None)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args(argv)
    if args.in_process:
        asyncio.run(in_process())
        return 0
    use_wrk = load.have_wrk()
    options = Options(args.seconds, 1.0, 64, use_wrk)
    paths = [weather_path(city) for city in WARM_CITIES]
    print(f"before: {machine('wrk -t2 -c64' if use_wrk else 'python')}", file=sys.stderr)
    rows: dict[str, list[Row]] = {}
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        receiver = stack.enter_context(OtlpReceiver())
        bench = Bench(redis.url, upstream.url, options)
        bench.prime(WARM_CITIES, lambda city, body: None)
        for _ in range(args.rounds):
            for near_ttl, kind in ((1.0, "warm hits"), (0.0, "Redis hits")):
                for mode, sampler in SAMPLING.items():
                    env = {} if sampler is None else {
                        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, **sampler
                    }  # fmt: skip
                    label = f"{kind}, tracing {mode}"
                    server = bench.skycache(near_ttl=near_ttl, env=env)
                    rows.setdefault(label, []).append(bench.measure(label, server, paths))
        received = len(receiver.received())
    combined = {key: combine(found) for key, found in rows.items()}
    for kind in ("warm hits", "Redis hits"):
        mine = [row for label, row in combined.items() if label.startswith(kind)]
        print(report.table(mine, combined[f"{kind}, tracing off"]))
    print(f"\nspans received: {received}")
    print(f"after: {machine('wrk -t2 -c64' if use_wrk else 'python')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
