"""`python -m bench.edge`: the edge tier (nginx from `skycache edge-config`) measured in one run.

Warm hits through the edge in front of two Skycache processes, against: the same nginx
configuration in front of the raw baseline app (nginx's own proxy_cache, the target);
nginx answering `return 200` (the machine's ceiling); Skycache direct. Then what only
Skycache behind the edge gives: a cold stampede (one geocoding and one forecast call),
expiry under load (nobody waits on the upstream), and both Skycache processes killed
for 5 s under load (every warm city still answered). Prints markdown, also to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.baseline_raw import BODY
from bench.load import LoadResult, run_wrk
from bench.options import load_bench_parser
from bench.servers import Server, skycache_command, uvicorn_command
from entrypoints.launcher import Launcher, free_port
from tests.support.edge import Edge, nginx_binary
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import HOT_CITIES
from tests.support.http_load import burst, closed_loop, weather_target
from tests.support.redis_server import LocalRedisServer

ROOT = Path(__file__).resolve().parents[1]
TTL_S = 5  # WEATHER_TTL: short, so that entries expire during the expiry phase
UPSTREAM_S = 0.5  # the fake forecast's latency in the expiry phase
PATHS = [weather_target(city) for city in HOT_CITIES]


def machine_line() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {platform.system()}, Python {platform.python_version()}, "
        f"load average {load} at the end; every server and wrk on this one machine."
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = load_bench_parser(
        "bench.edge", __doc__, seconds=8.0, rounds=3, rounds_help="wrk runs per target"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "edge-results.md")
    return parser.parse_args(argv)


def ceiling_config(port: int, state: Path) -> str:
    """nginx answering the baseline body itself: the most this machine serves over HTTP."""
    body = BODY.decode().replace("'", "\\'")
    return f"""
worker_processes auto;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 10000;
        location / {{ default_type application/json; return 200 '{body}'; }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_ceiling() -> Iterator[Launcher]:
    with tempfile.TemporaryDirectory(prefix="skycache-ceiling-") as tmp:
        state = Path(tmp)
        port = free_port()
        config = state / "nginx.conf"
        config.write_text(ceiling_config(port, state))
        command = [nginx_binary(), "-p", str(state), "-c", str(config), "-g", "daemon off;"]
        server = Launcher(command, url=f"http://127.0.0.1:{port}", ready_path="/", name="nginx")
        with server:
            yield server


@dataclass(frozen=True, slots=True)
class Measured:
    name: str
    runs: list[LoadResult]

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def measure(targets: dict[str, str], args: argparse.Namespace) -> list[Measured]:
    """Rounds interleave the targets, so drift on a shared machine hits each alike."""
    runs: dict[str, list[LoadResult]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, url in targets.items():
            runs[name].append(
                run_wrk(url, PATHS, seconds=args.seconds, connections=args.connections)
            )
    return [Measured(name, found) for name, found in runs.items()]


async def cold_stampede(edge: str, fake: FakeOpenMeteo) -> str:
    await fake.areset()
    await fake.aset(latency_s=0.3, endpoint="forecast")
    replies = await burst([edge], weather_target("Boise"), 500)
    await fake.aset(latency_s=0.0, endpoint="forecast")
    calls = await fake.acalls()
    statuses = Counter(r.status for r in replies)
    at_edge = Counter(r.headers.get("x-edge-cache", "") for r in replies)
    return (
        f"500 simultaneous requests for a cold city through the edge: statuses "
        f"{dict(statuses)}, edge {dict(at_edge)}; upstream calls: geocoding "
        f"{calls.get('geocoding', 0)}, forecast {calls.get('forecast', 0)}"
    )


async def expiry_under_load(edge: str, fake: FakeOpenMeteo) -> str:
    await fake.areset()
    await fake.aset(latency_s=UPSTREAM_S, endpoint="forecast")
    duration = 3 * TTL_S
    replies = await closed_loop([edge], PATHS, clients=32, duration_s=duration, pause_s=0.005)
    await fake.aset(latency_s=0.0, endpoint="forecast")
    calls = await fake.acalls()
    waited = sum(r.latency_s >= UPSTREAM_S for r in replies)
    worst = max(r.latency_s for r in replies) * 1e3
    statuses = Counter(r.status for r in replies)
    return (
        f"{duration} s of 32 clients on 10 cities through the edge, entries expiring every "
        f"{TTL_S} s, forecast taking {UPSTREAM_S * 1e3:.0f} ms: {len(replies)} answers "
        f"{dict(statuses)}, {waited} waited on the upstream (slowest {worst:.1f} ms); "
        f"forecast calls {calls.get('forecast', 0)} (10 cities x {duration // TTL_S} expiries)"
    )


async def restart_under_load(edge: str, apps: list[Server]) -> str:
    load = asyncio.create_task(
        closed_loop([edge], PATHS, clients=32, duration_s=12.0, pause_s=0.005)
    )
    await asyncio.sleep(2.0)
    for app in apps:
        app.stop(grace_s=0)
    await asyncio.sleep(5.0)
    for app in apps:
        await asyncio.to_thread(app.start, 30.0)
    replies = await load
    statuses = Counter(r.status for r in replies)
    at_edge = Counter(r.headers.get("x-edge-cache", "") for r in replies)
    return (
        f"Both Skycache processes killed for 5 s under 32 clients on 10 warm cities: "
        f"{len(replies)} answers {dict(statuses)}, edge {dict(at_edge)}"
    )


def table(results: list[Measured]) -> list[str]:
    by = {m.name: m for m in results}
    target = by["nginx proxy_cache, raw app"]
    lines = [
        "| target | req/s (median) | p99 ms | errors | vs nginx proxy_cache |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in results:
        lines.append(
            f"| {m.name} | {m.rps:,.0f} | {m.p99_ms:.2f} | {m.errors} | "
            f"{m.rps / target.rps:.2f}x req/s, {m.p99_ms / target.p99_ms:.2f}x p99 |"
        )
    return lines


async def phases(args: argparse.Namespace, state: Path) -> list[str]:
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        fake = stack.enter_context(FakeOpenMeteo(accept_any=True))
        env = {
            "REDIS_URL": redis.url,
            "SKYCACHE_CACHE": "redis",
            "OPEN_METEO_GEOCODING_URL": fake.url,
            "OPEN_METEO_FORECAST_URL": fake.url,
            "WEATHER_TTL": str(TTL_S),
            "WEATHER_TTL_JITTER": "0",
        }
        apps = []
        for _ in range(2):
            port = free_port()
            apps.append(Server("skycache", skycache_command(1, port), env, port))
        for app in apps:
            stack.enter_context(app)
        raw_port = free_port()
        raw = stack.enter_context(
            Server(
                "raw", uvicorn_command("bench.baseline_raw:cacheable", 1, raw_port), {}, raw_port
            )
        )
        edge = stack.enter_context(
            Edge([a.url.removeprefix("http://") for a in apps], state / "edge")
        )
        raw_edge = stack.enter_context(Edge([raw.url.removeprefix("http://")], state / "raw-edge"))
        ceiling = stack.enter_context(nginx_ceiling())
        for path in PATHS:  # warm: every city cached at Skycache and at both edges
            await burst([edge.url, raw_edge.url], path, 2)
        results = measure(
            {
                "nginx return 200 (ceiling)": ceiling.url,
                "nginx proxy_cache, raw app": raw_edge.url,
                "edge in front of Skycache": edge.url,
                "Skycache direct (1 worker)": apps[0].url,
            },
            args,
        )
        return [
            *table(results),
            "",
            "- " + await cold_stampede(edge.url, fake),
            "- " + await expiry_under_load(edge.url, fake),
            "- " + await restart_under_load(edge.url, apps),
        ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="skycache-edge-bench-") as tmp:
        state = Path(tmp)
        state.chmod(0o755)  # nginx's workers run as nobody when root starts it
        lines = asyncio.run(phases(args, state))
    text = "\n".join(
        [
            "# Edge tier: measured",
            "",
            f"Produced by `python -m bench.edge` ({args.rounds} rounds of {args.seconds:g} s, "
            f"{args.connections} connections, wrk). {machine_line()}",
            "",
            *lines,
            "",
        ]
    )
    print(text)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
