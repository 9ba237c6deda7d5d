"""`python -m bench.http`: the hit path against its ceiling and the old design, on loopback.

Starts redis-server, the fake Open-Meteo and each server in turn (2 uvicorn workers unless
said otherwise), drives them with wrk (else the bundled asyncio client) on 50 warm
cities, and prints a markdown table. Ratios matter, not absolute numbers: every server
runs back to back in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
from collections.abc import Callable

from bench import load, report
from bench.baseline_old import FRAMEWORK
from bench.options import load_bench_parser
from bench.ratios import ratio_table, round_ratios
from bench.redis_probe import bench_city, mean_memory_usage, prefill, weather_keys
from bench.scenarios import WARM_CITIES, Bench, Options, Row, combine, weather_path
from bench.servers import Server
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer

OLD_PREFIX = "weather:"  # as bench/baseline_old.py reads it
# RSS after 1x, 2x, 4x and 8x --rss-cities distinct cities: flat once every
# in-process bound (near cache, fallback copy, parsed queries) is full in each worker.
RSS_STEPS = (1, 2, 4, 8)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = load_bench_parser(
        "bench", __doc__, seconds=3, rounds=5, rounds_help="of the six compared rows"
    )
    parser.add_argument("--cities", type=int, default=100_000, help="the large Redis")
    parser.add_argument("--rss-cities", type=int, default=10_000, help="RSS after 1x, 2x, 4x, 8x")
    parser.add_argument("--python-load", action="store_true", help="never use wrk")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.cities, args.rss_cities = 1, 1, 1000, 100
    if RSS_STEPS[-1] * args.rss_cities > args.cities - len(WARM_CITIES):
        parser.error("--cities must hold 8x --rss-cities (plus the warm cities)")
    return args


def run(args: argparse.Namespace, bench: Bench, big: Bench | None) -> str:
    """`big`, when given, is a second Redis filled with `args.cities` cities: its rows run
    in the same rounds as the others, so that cost growth is not confused with drift."""
    paths = [weather_path(city) for city in WARM_CITIES]
    bench.prime(WARM_CITIES, lambda city, body: bench.redis.set(OLD_PREFIX + city.lower(), body))
    per_city = mean_memory_usage(bench.redis, weather_keys(WARM_CITIES))
    old_per_city = mean_memory_usage(bench.redis, [OLD_PREFIX + c.lower() for c in WARM_CITIES])
    small = min(1000, args.cities)
    _fill(bench, small)
    Run = tuple[str, str, Bench, Callable[[], Server], float | None]
    headline: list[Run] = [
        ("ceiling", "raw ASGI ceiling", bench, lambda: bench.baseline("baseline_raw"), None),
        ("near", f"Skycache warm hits, {small:,} cities", bench, bench.skycache, per_city),
        ("redis", f"Skycache Redis hits (NEAR_CACHE_TTL=0), {small:,} cities", bench,
         lambda: bench.skycache(near_ttl=0), per_city),
        ("old", f"old design on {FRAMEWORK}: GET + INCR per hit", bench,
         lambda: bench.baseline("baseline_old"), old_per_city),
    ]  # fmt: skip
    if big is not None:
        big.prime(WARM_CITIES, lambda city, body: None)
        _fill(big, args.cities)
        many = f"{args.cities:,} cities"
        headline += [
            ("near_big", f"Skycache warm hits, {many}", big, big.skycache, None),
            ("redis_big", f"Skycache Redis hits, {many}", big,
             lambda: big.skycache(near_ttl=0), None),
        ]  # fmt: skip
    # These rows run in turn, in short rounds, so that a burst of other load on the machine
    # lands on all of them rather than on one; each ratio is then taken within each round
    # and reported as the median of the rounds' (bench/ratios.py).
    runs: dict[str, list[Row]] = {key: [] for key, *_ in headline}
    for _ in range(args.rounds):
        for key, label, where, server, per in headline:
            runs[key].append(where.measure(label, server(), paths, per))
    rows = {key: combine(found) for key, found in runs.items()}
    if not args.quick:
        m = bench.measure
        rows["litestar"] = m(
            "bare Litestar, Struct from dict", bench.baseline("baseline_litestar"), paths
        )
        rows["near_info"] = m(
            "Skycache warm hits, with the access log (LOG_REQUESTS, a JSON line per request)",
            bench.skycache(access_log=True), paths,
        )  # fmt: skip
        rows["near_1w"] = m("Skycache warm hits, 1 worker", bench.skycache(workers=1), paths)
        rows["redis_1w"] = m(
            "Skycache Redis hits, 1 worker", bench.skycache(workers=1, near_ttl=0), paths
        )
    # RSS needs 8x --rss-cities distinct cities in Redis: the big one when there is one.
    filled = big if big is not None else bench
    steps = [k * args.rss_cities for k in RSS_STEPS]
    rss = filled.rss_growth([bench_city(i) for i in range(steps[-1])], steps)
    table = report.table(list(rows.values()), rows["ceiling"])
    ratios = ratio_table(round_ratios(runs))
    return f"{table}\n\n{ratios}\n\n{report.targets(rows, per_city, rss)}"


def _fill(bench: Bench, total: int, start: int = len(WARM_CITIES)) -> None:
    """Bring Redis to `total` cities: the warm ones plus copies named by bench_city()."""
    warm = len(WARM_CITIES)
    prefill(bench.redis_url, WARM_CITIES[0], start - warm, total - warm)


def machine(tool: str) -> str:
    load1, load5, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load generator {tool}, "
        f"load average {load1:.2f} / {load5:.2f} (1 / 5 min)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_wrk = load.have_wrk() and not args.python_load
    warm_s = 0.0 if args.quick else 1.0  # also fills each worker's near cache
    options = Options(args.seconds, warm_s, args.connections, use_wrk)
    tool = f"wrk -t2 -c{args.connections}" if use_wrk else f"python, {args.connections} conns"
    print(f"before: {machine(tool)}", file=sys.stderr, flush=True)
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(LocalRedisServer())
        upstream = FakeOpenMeteo(accept_any=True).start()
        stack.callback(upstream.stop)
        big = None
        if not args.quick:
            big_redis = stack.enter_context(LocalRedisServer())
            big = Bench(big_redis.url, upstream.url, options)
        output = run(args, Bench(redis.url, upstream.url, options), big)
    print(output)
    print(f"\nafter: {machine(tool)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
