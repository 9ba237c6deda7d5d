"""`python -m bench.conditional`: what the caching headers cost on the hit path.

Warm hits (the near cache on, as deployed) of this tree against the raw ASGI ceiling and
against another revision of the code (`--before REF`, exported with `git archive`, served
from its own directory by this interpreter), each as a ratio to the ceiling of the same
run; and this tree's 304s (If-None-Match with each city's ETag) against its 200s. Rows are
interleaved over `--rounds` and pooled, like bench.http's. `--rate-limit` sets RATE_LIMIT on
both trees, and `--clients` spreads the requests over that many client addresses
(X-Forwarded-For, which the servers trust from 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from bench import load
from bench.http import machine
from bench.options import load_bench_parser
from bench.redis_probe import commands_processed
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from bench.servers import ROOT, Server, new_port, skycache_command
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer

# Like load.WRK_SCRIPT, each request carrying the If-None-Match given with its path.
CONDITIONAL_WRK = load.WRK_SCRIPT.replace(
    'reqs[n] = wrk.format("GET", path)',
    'local p, tag = path:match("^(.-)|(.*)$"); '
    'reqs[n] = wrk.format("GET", p, {["If-None-Match"] = tag})',
)


def spread_over(lua: str, clients: int) -> str:
    """`lua` with each request sent once from each of `clients` addresses in turn."""
    if clients <= 1:
        return lua
    address = '"10.9." .. math.floor(c / 256) .. "." .. (c % 256)'
    return lua.replace(
        'n = n + 1; reqs[n] = wrk.format("GET", path)',
        f"for c = 1, {clients} do n = n + 1; "
        f'reqs[n] = wrk.format("GET", path, {{["X-Forwarded-For"] = {address}}}) end',
    )


def measure(
    bench: Bench, label: str, server: Server, drive: Callable[[str, float], load.LoadResult]
) -> Row:
    with server:
        drive(server.url, bench.options.warm_s)
        before, cpu = commands_processed(bench.redis), server.worker_cpu_s()
        result = drive(server.url, bench.options.seconds)
        commands = commands_processed(bench.redis) - before - 1
        cpu = server.worker_cpu_s() - cpu
        rss = server.worker_rss_mb()
    n = max(result.requests, 1)
    return Row(label, result, commands / n, None, sum(rss) / len(rss), cpu / n * 1e6)


def etags(bench: Bench, paths: Sequence[str]) -> list[str]:
    with bench.skycache(workers=1) as server, httpx.Client(base_url=server.url) as client:
        return [f"{path}|{client.get(path).headers['etag']}" for path in paths]


def export(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = load_bench_parser("bench.conditional", __doc__, seconds=5, rounds=2)
    parser.add_argument("--before", default="HEAD~1", help="the revision compared with")
    parser.add_argument(
        "--near-ttl",
        type=float,
        default=1.0,
        help="NEAR_CACHE_TTL of both trees (0: every hit read from Redis)",
    )
    parser.add_argument("--rate-limit", default="", help="RATE_LIMIT of both trees (off: '')")
    parser.add_argument("--clients", type=int, default=1, help="client addresses to spread over")
    args = parser.parse_args(argv)
    if not load.have_wrk():
        parser.error("needs wrk (apt-get install wrk)")
    options = Options(args.seconds, 1.0, args.connections, wrk=True)
    paths = [weather_path(city) for city in WARM_CITIES]
    print(f"before: {machine('wrk')}", file=sys.stderr, flush=True)
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        old_tree = export(args.before, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        bench = Bench(redis.url, upstream.url, options)
        bench.skycache_env["RATE_LIMIT"] = args.rate_limit
        spread = spread_over(load.WRK_SCRIPT, args.clients)
        pairs = etags(bench, paths)

        def plain(url: str, seconds: float) -> load.LoadResult:
            return load.run_wrk(
                url, paths, seconds=seconds, connections=args.connections, lua=spread
            )

        def conditional(url: str, seconds: float) -> load.LoadResult:
            return load.run_wrk(
                url, pairs, seconds=seconds, connections=args.connections, lua=CONDITIONAL_WRK
            )

        def old_server() -> Server:
            port = new_port()
            env = bench.skycache_env | {
                "LOG_REQUESTS": "false",
                "NEAR_CACHE_TTL": str(args.near_ttl),
            }
            return Server("before", skycache_command(2, port), env, port, cwd=old_tree)

        rows: dict[str, list[Row]] = {}
        for _ in range(args.rounds):
            for label, server, drive in (
                ("raw ASGI ceiling", bench.baseline("baseline_raw"), plain),
                (f"warm hits before ({args.before})", old_server(), plain),
                ("warm hits, caching headers (200)", bench.skycache(near_ttl=args.near_ttl), plain),
                (
                    "warm hits, If-None-Match (304)",
                    bench.skycache(near_ttl=args.near_ttl),
                    conditional,
                ),
            ):
                rows.setdefault(label, []).append(measure(bench, label, server, drive))
    ceiling = combine(rows["raw ASGI ceiling"]).result.rps
    print("| server | req/s | ÷ ceiling | p50 ms | p99 ms | worker CPU µs/req | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for runs in rows.values():
        row = combine(runs)
        r = row.result
        print(
            f"| {row.label} | {r.rps:,.0f} | {r.rps / ceiling:.0%} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {row.cpu_us:.0f} | {r.errors} |"
        )
    print(f"\nafter: {machine('wrk')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
