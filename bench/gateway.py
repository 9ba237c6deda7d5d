"""`python -m bench.gateway`: the Open-Meteo gateway against /weather, on one instance.

Starts redis-server and the fake Open-Meteo, then:
1. warm hits: one `skycache serve` (2 workers) answers warm /weather hits (50 cities),
   warm 7-day hourly forecast hits (50 locations, five variables: several KB each; and
   one variable, to tell the cost per KB from the cost per hit) and /livez (a Litestar
   route that reads nothing: the framework's floor) in alternating rounds, so that a
   burst of other load on the machine lands on all; the ratio of /weather's and the
   five-variable forecast's, and the worker CPU per request, are what count;
2. a 100-location request with 95 locations cached: the upstream calls and the locations
   they carried;
3. a cold stampede on one forecast query over two processes (one worker each): upstream
   calls, and every answer compared with the upstream's own.
Prints markdown (bench/gateway_report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections import Counter
from collections.abc import Sequence

import httpx

from bench import load
from bench.gateway_report import HitRow, render
from bench.http import machine
from bench.options import load_bench_parser
from bench.scenarios import WARM_CITIES, Bench, Options, weather_path
from bench.servers import Server
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import burst, warm_up, weather_target
from tests.support.redis_server import LocalRedisServer

HOURLY = "temperature_2m,relative_humidity_2m,precipitation,wind_speed_10m,cloud_cover"


def forecast_path(lat: float, lon: float, hourly: str = HOURLY) -> str:
    return f"/v1/forecast?latitude={lat:.2f}&longitude={lon:.2f}&hourly={hourly}&forecast_days=7"


def spots(n: int, lat0: float) -> list[tuple[float, float]]:
    """`n` points a grid cell or more apart."""
    return [(lat0 + 0.1 * (i // 20), 0.1 * (i % 20)) for i in range(n)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = load_bench_parser("bench.gateway", __doc__, seconds=5, rounds=3)
    parser.add_argument("--stampede", type=int, default=300)
    return parser.parse_args(argv)


def hits(bench: Bench, fake: FakeOpenMeteo, rounds: int) -> list[HitRow]:
    weather = [weather_path(city) for city in WARM_CITIES]
    forecast = [forecast_path(lat, lon) for lat, lon in spots(50, 10.0)]
    small = [forecast_path(lat, lon, "temperature_2m") for lat, lon in spots(50, 20.0)]
    sets = {
        "/weather": weather,
        "/v1/forecast": forecast,
        "/v1/forecast, 1 variable": small,
        "/livez": ["/livez"],
    }
    rows: dict[str, list[tuple[load.LoadResult, float]]] = {label: [] for label in sets}
    with bench.skycache(env={"FORECAST_TTL": "3600"}) as server, httpx.Client() as client:
        sizes = {label: _primed(client, server, paths) for label, paths in sets.items()}
        for paths in sets.values():  # each worker's near cache, the pools
            bench.drive(server.url, paths, bench.options.warm_s)
        calls = len(fake.gateway_calls())
        for _ in range(rounds):
            for label, paths in sets.items():
                cpu = server.worker_cpu_s()
                result = bench.drive(server.url, paths, bench.options.seconds)
                cpu_us = (server.worker_cpu_s() - cpu) / max(result.requests, 1) * 1e6
                rows[label].append((result, cpu_us))
        if len(fake.gateway_calls()) != calls:
            raise RuntimeError("a gateway hit reached the upstream: not a warm-hit benchmark")
    return [HitRow.of(label, found, sizes[label]) for label, found in rows.items()]


def _primed(client: httpx.Client, server: Server, paths: Sequence[str]) -> int:
    """Each path fetched once (a miss); the mean body size in bytes."""
    sizes = []
    for path in paths:
        answer = client.get(server.url + path, timeout=30)
        answer.raise_for_status()
        sizes.append(len(answer.content))
    return sum(sizes) // len(sizes)


def partly_cached(bench: Bench, fake: FakeOpenMeteo) -> str:
    points = spots(100, 30.0)
    cached = [p for i, p in enumerate(points) if i % 20 != 7]  # 95, the 5 new spread out
    with bench.skycache(workers=1, env={"FORECAST_TTL": "3600"}) as server, httpx.Client() as c:
        c.get(server.url + _many(cached), timeout=60).raise_for_status()
        before = len(fake.gateway_calls())
        answer = c.get(server.url + _many(points), timeout=60)
        answer.raise_for_status()
        calls = fake.gateway_calls()[before:]
    carried = [len(call["points"]) for call in calls]
    return (
        f"| 100 locations, 95 cached | {len(calls)} | {carried} | "
        f"`{answer.headers['x-cache-locations']}` | {len(answer.content) // 1024} KB |"
    )


def _many(points: Sequence[tuple[float, float]]) -> str:
    lats = ",".join(f"{lat:.2f}" for lat, _ in points)
    lons = ",".join(f"{lon:.2f}" for _, lon in points)
    return f"/v1/forecast?latitude={lats}&longitude={lons}&hourly=temperature_2m&forecast_days=7"


async def stampede(bench: Bench, fake: FakeOpenMeteo, n: int) -> str:
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(bench.skycache(workers=1)) for _ in range(2)]
        urls = [server.url for server in servers]
        await warm_up(urls, weather_target(WARM_CITIES[0]), 50)  # Redis pools filled
        target = forecast_path(-33.87, 151.21)
        before = len(fake.gateway_calls())
        await fake.agateway_set(latency_s=0.3)  # every request arrives while the call runs
        replies = await burst(urls, target, n)
        await fake.agateway_set(latency_s=0.0)
        calls = len(fake.gateway_calls()) - before
    async with httpx.AsyncClient(base_url=fake.url, timeout=30) as client:
        upstream = (await client.get(target)).content
    statuses = Counter(reply.status for reply in replies)
    same = sum(reply.body == upstream for reply in replies)
    caches = Counter(reply.headers.get("x-cache", "") for reply in replies)
    return (
        f"| cold stampede, {n} requests over 2 processes | {calls} | {dict(statuses)} | "
        f"{same} of {n} | {dict(caches)} |"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_wrk = load.have_wrk()
    tool = f"wrk -t2 -c{args.connections}" if use_wrk else f"python, {args.connections} conns"
    before = machine(tool)
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        fake = FakeOpenMeteo(accept_any=True).start()
        stack.callback(fake.stop)
        bench = Bench(redis.url, fake.url, Options(args.seconds, 1.0, args.connections, use_wrk))
        bench.skycache_env |= {"OPEN_METEO_AIR_QUALITY_URL": fake.url}
        rows = hits(bench, fake, args.rounds)
        many = partly_cached(bench, fake)
        cold = asyncio.run(stampede(bench, fake, args.stampede))
    print(render(rows, many, cold, before, machine(tool)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
