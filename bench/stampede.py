"""`python -m bench.stampede`: a cold-city stampede over two app processes sharing Redis.

Starts redis-server, the fake Open-Meteo and two `skycache serve` processes (one worker
each) on loopback, warms their Redis pools on another city, then sends N simultaneous
requests for one cold city, split over both. The value "lands" when its owner releases
the lease: the release PUBLISHes on the city's channel, and this script is subscribed
too, so its clock marks the landing as the waiters' processes hear it. Then a series of
small stampedes (one owner, a few waiters in the other process) times the wake-up alone,
without 250 responses queueing behind each other. Prints markdown, also written to --out.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bench.servers import Server, skycache_server
from bench.stampede_probe import Landing, after, ms, render, run_and_report
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Connection, burst, get_once, warm_up, weather_target
from tests.support.redis_server import LocalRedisServer

ROOT = Path(__file__).resolve().parents[1]
FLUSH_S = 0.5  # METRICS_FLUSH_INTERVAL: the counters of the burst land inside the window


def stampede_parser(prog: str) -> argparse.ArgumentParser:
    """The burst and wake-up options every stampede bench takes."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.3, help="upstream forecast, s")
    parser.add_argument("--rounds", type=int, default=100, help="wake-up series")
    parser.add_argument("--waiters", type=int, default=4, help="per wake-up round")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = stampede_parser("bench.stampede")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "stampede-results.md")
    return parser.parse_args(argv)


HANDSHAKE = ("cmdstat_hello", "cmdstat_ping", "cmdstat_client")  # each new pooled connection
OURS = ("cmdstat_info", "cmdstat_config")  # this script's own


async def stampede(urls: list[str], redis: Redis, fake: FakeOpenMeteo, n: int) -> list[str]:
    async with Landing(redis, "San Jose") as landing:
        await redis.config_resetstat()
        before = int((await redis.info("stats"))["total_commands_processed"])
        replies = await burst(urls, weather_target("San Jose"), n)
        landed = await landing.at()
        await asyncio.sleep(FLUSH_S * 2)  # the burst's counters are flushed, and counted
        stats = await redis.info("commandstats")
        total = int((await redis.info("stats"))["total_commands_processed"]) - before - 2
    handshakes = sum(v["calls"] for k, v in stats.items() if k.startswith(HANDSHAKE))
    waits = after(replies, landed)
    per_process = [after([r for r in replies if r.url == url], landed) for url in urls]
    calls = await fake.acalls()
    breakdown = ", ".join(
        f"{name.removeprefix('cmdstat_')} {value['calls']}"
        for name, value in sorted(stats.items(), key=lambda item: -item[1]["calls"])
        if not name.startswith(OURS + HANDSHAKE)
    )
    outcomes = Counter(r.cache or str(r.status) for r in replies)
    return [
        f"| requests (over {len(urls)} processes) | {n}: {dict(outcomes)} |",
        f"| upstream calls | geocoding {calls['geocoding']}, forecast {calls['forecast']} |",
        f"| waiters answered after the value landed, p50 / p99 / max ms | {ms(waits)} |",
        "| first waiter answered in each process, ms | "
        + ", ".join(f"{min(w) * 1000:.1f}" for w in per_process if w)
        + " |",
        f"| Redis commands processed per request | {total / n:.2f} ({total} in all) |",
        f"| ... without new connections' handshakes | {(total - handshakes) / n:.2f} "
        f"({handshakes} handshake commands) |",
        f"| ... by command (Lua's inner calls included) | {breakdown} |",
    ]


def wake_city(i: int) -> str:
    """A distinct, cold, valid city name (letters only); the fake geocodes any name."""
    return "Wake " + "".join(chr(ord("a") + int(d)) for d in str(i))


async def wake_ups(
    apps: list[Server], redis: Redis | RedisCluster, fake: FakeOpenMeteo, rounds: int, waiters: int
) -> str:
    """Owner and waiters swap processes each round; a fresh city each time."""
    await fake.aset(latency_s=0.15, endpoint="forecast")
    waits: list[float] = []
    for i in range(rounds):
        owner, other = (apps[0], apps[1]) if i % 2 == 0 else (apps[1], apps[0])
        city = wake_city(i)
        target = weather_target(city)
        connections = [await Connection(other.url).open() for _ in range(waiters)]
        async with Landing(redis, city) as landing:
            first = asyncio.create_task(get_once(owner.url, target))
            await asyncio.sleep(0.07)  # the owner holds the lease now
            replies = await asyncio.gather(*(c.get(target) for c in connections))
            await first
            waits += after(list(replies), await landing.at())
        for connection in connections:
            await connection.aclose()
    label = f"wake-up alone ({len(waits)} waiters, {rounds} rounds), p50 / p99 / max ms"
    return f"| {label} | {ms(waits)} |"


async def run(args: argparse.Namespace) -> str:
    with LocalRedisServer() as redis_server, FakeOpenMeteo(accept_any=True) as fake:
        env = {
            "REDIS_URL": redis_server.url,
            "SKYCACHE_CACHE": "redis",
            "OPEN_METEO_GEOCODING_URL": fake.url,
            "OPEN_METEO_FORECAST_URL": fake.url,
            "METRICS_FLUSH_INTERVAL": str(FLUSH_S),
            "LOG_LEVEL": "warning",
            # The fake upstream has no quota: the cache is measured here, not the budget.
            "UPSTREAM_MISSES_PER_CLIENT": "0",
            "UPSTREAM_MAX_PER_MINUTE": "0",
            "UPSTREAM_MAX_PER_HOUR": "0",
            "UPSTREAM_MAX_PER_DAY": "0",
        }
        apps = [skycache_server(env).start(timeout_s=20.0) for _ in range(2)]
        redis = Redis.from_url(redis_server.url)
        try:
            urls = [app.url for app in apps]
            await warm_up(urls, weather_target("Miami"))
            await asyncio.sleep(FLUSH_S * 2)
            await fake.areset()
            await fake.aset(latency_s=args.latency, endpoint="forecast")
            rows = await stampede(urls, redis, fake, args.requests)
            rows.append(await wake_ups(apps, redis, fake, args.rounds, args.waiters))
        finally:
            await redis.aclose()
            for app in apps:
                app.stop()
    return render(args, rows)


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_report(run, parse_args(argv), timeout_s=180)


if __name__ == "__main__":
    raise SystemExit(main())
