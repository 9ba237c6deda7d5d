"""`python -m bench.hits_cluster`: warm hits and Redis hits on one Redis node and on a
3-primary + 3-replica Redis Cluster, with the servers and load of bench/http.py (2 uvicorn
workers, wrk on 50 warm cities). The four rows run interleaved, --rounds times each, and
are pooled, so that other load on the machine lands on all of them. Prints markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from bench import load
from bench.http import machine
from bench.options import load_bench_parser
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_cluster import LocalRedisCluster
from tests.support.redis_server import LocalRedisServer

HEADER = (
    "| server | req/s | p50 ms | p99 ms | worker CPU µs/req | req/s ÷ one node's |\n"
    "|---|---:|---:|---:|---:|---:|"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_bench_parser("bench.hits_cluster", __doc__, seconds=6, rounds=2)
    return parser.parse_args(argv)


def measure_all(one: Bench, cluster: Bench, rounds: int) -> dict[str, Row]:
    paths = [weather_path(city) for city in WARM_CITIES]
    for bench in (one, cluster):
        bench.prime(WARM_CITIES, lambda *_: None)  # each city fetched once, kept in Redis
    plan = [
        ("one node, warm hits", one, 1.0),
        ("cluster, warm hits", cluster, 1.0),
        ("one node, Redis hits", one, 0.0),
        ("cluster, Redis hits", cluster, 0.0),
    ]
    runs: dict[str, list[Row]] = {label: [] for label, *_ in plan}
    for _ in range(rounds):
        for label, bench, near_ttl in plan:
            runs[label].append(bench.measure(label, bench.skycache(near_ttl=near_ttl), paths))
    return {label: combine(rows) for label, rows in runs.items()}


def table(rows: dict[str, Row]) -> str:
    lines = [HEADER]
    for label, row in rows.items():
        r = row.result
        single = rows[label.replace("cluster", "one node")].result
        cells = [
            row.label + (f" ({r.errors} errors)" if r.errors else ""),
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{row.cpu_us:.0f}",
            f"{r.rps / single.rps:.2f}" if single.rps else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_wrk = load.have_wrk()
    options = Options(args.seconds, 1.0, args.connections, use_wrk)
    tool = f"wrk -t2 -c{args.connections}" if use_wrk else f"python, {args.connections} conns"
    print(f"before: {machine(tool)}", file=sys.stderr, flush=True)
    with contextlib.ExitStack() as stack:
        single = stack.enter_context(LocalRedisServer())
        cluster = stack.enter_context(LocalRedisCluster())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        one = Bench(single.url, upstream.url, options)
        host, port = cluster.addresses[0]
        sharded = Bench(f"redis://{host}:{port}/0", upstream.url, options)
        sharded.skycache_env["REDIS_CLUSTER_NODES"] = cluster.nodes_setting
        output = table(measure_all(one, sharded, args.rounds))
    print(output)
    print(f"\nafter: {machine(tool)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
