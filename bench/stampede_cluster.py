"""`python -m bench.stampede_cluster`: the cold-city stampede and the wake-up series of
bench/stampede.py, on a 3-primary + 3-replica Redis Cluster with two app instances of two
workers each. This script SSUBSCRIBEs to the city's channel like the waiters' processes,
so its clock marks the landing as they hear the release's SPUBLISH. Then --cities (100)
distinct cold cities at once, --per-city requests each over both instances: one fetch per
city, and how the cities spread over the shards. Prints markdown, also written to --out."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio.cluster import RedisCluster

from adapters.redis.client import create_redis_client
from adapters.redis.keys import weather_key
from adapters.redis.topology import RedisTopology
from bench.servers import Server, skycache_command
from bench.stampede import stampede_parser, wake_ups
from bench.stampede_probe import Landing, after, ms, run_and_report
from domain.model.query import WeatherQuery
from entrypoints.launcher import free_port
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Reply, burst, burst_to, warm_up, weather_target
from tests.support.redis_cluster import LocalRedisCluster

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
LEASE_S = 3.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = stampede_parser("bench.stampede_cluster")
    parser.description = __doc__
    parser.add_argument("--cities", type=int, default=100, help="distinct cold cities at once")
    parser.add_argument("--per-city", type=int, default=10, help="requests for each of them")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "stampede-cluster-results.md")
    return parser.parse_args(argv)


async def stampede(urls: list[str], redis: RedisCluster, fake: FakeOpenMeteo, n: int) -> list[str]:
    async with Landing(redis, "San Jose") as landing:
        replies = await burst(urls, weather_target("San Jose"), n)
        landed = await landing.at()
    waits = after(replies, landed)
    calls = await fake.acalls()
    outcomes = Counter(r.cache or str(r.status) for r in replies)
    return [
        f"| requests (over {len(urls)} instances of {WORKERS} workers) | {n}: {dict(outcomes)} |",
        f"| upstream calls | geocoding {calls['geocoding']}, forecast {calls['forecast']} |",
        f"| waiters answered after the value landed, p50 / p99 / max ms | {ms(waits)} |",
    ]


async def lost_wake_up(
    urls: list[str], cluster: LocalRedisCluster, fake: FakeOpenMeteo, n: int
) -> list[str]:
    """A cold city's waiters lose their wake-up: every pub/sub connection is killed halfway
    through the fetch. How long past the fetch they wait is what a lost wake-up costs
    (tests/e2e/test_cluster.py checks the statuses and the one fetch)."""
    fetch_s = 2.0
    await fake.areset()
    await fake.aset(latency_s=fetch_s, endpoint="forecast")
    stampede = asyncio.create_task(burst(urls, weather_target("Boise"), n))
    await asyncio.sleep(fetch_s / 2)  # every waiter is subscribed, the fetch runs
    for node in cluster.nodes:
        cluster.cli(node.port, "CLIENT", "KILL", "TYPE", "pubsub")
    replies = await stampede
    calls = await fake.acalls()
    statuses = Counter(r.status for r in replies)
    latest = max(r.latency_s for r in replies)
    return [
        f"| lost wake-up: {n} requests, pub/sub killed mid-fetch | statuses {dict(statuses)}; "
        f"forecast calls {calls['forecast']} |",
        f"| ... slowest answer, and past the {fetch_s:.0f} s fetch (LOCK_TTL {LEASE_S:.0f} s) "
        f"| {latest * 1000:.0f} ms, {(latest - fetch_s) * 1000:.0f} ms |",
    ]


def shard_city(n: int) -> str:
    """A distinct, cold, valid city name (letters only); the fake geocodes any name."""
    return f"Shardville {chr(65 + n // 26)}{chr(65 + n % 26)}"


async def many_cities(
    urls: list[str], redis: RedisCluster, fake: FakeOpenMeteo, cities: int, per_city: int
) -> list[str]:
    """Every city's requests sit next to each other in the burst, dealt out to the
    instances in turn; the first, which usually takes the lease, goes to each instance for
    half of the cities."""
    names = [shard_city(n) for n in range(cities)]
    plan = [
        (urls[(c + i) % len(urls)], weather_target(name))
        for c, name in enumerate(names)
        for i in range(per_city)
    ]
    replies = await burst_to(plan)
    calls = await fake.acalls()
    by_city = [replies[i * per_city : (i + 1) * per_city] for i in range(cities)]
    misses = Counter(sum(r.cache == "MISS" for r in each) for each in by_city)
    fetched_by = Counter(urls.index(r.url) + 1 for r in replies if r.cache == "MISS")
    waits = [r.latency_s for r in replies if r.cache == "COALESCED"]
    owners = [r.latency_s for r in replies if r.cache == "MISS"]
    behind = [
        r.done_at - fetched_at
        for each in by_city
        if (fetched_at := fetched(each)) is not None
        for r in each
        if r.cache == "COALESCED"
    ]
    statuses = Counter(r.status for r in replies)
    outcomes = Counter(r.cache or str(r.status) for r in replies)
    head = f"{cities} cold cities x {per_city} requests"
    return [
        f"| {head} (over {len(urls)} instances) | {len(replies)}: statuses {dict(statuses)}, "
        f"{dict(outcomes)} |",
        f"| ... upstream calls | geocoding {calls['geocoding']}, forecast {calls['forecast']} |",
        "| ... MISS answers per city (cities) | "
        + ", ".join(f"{k} ({v})" for k, v in sorted(misses.items()))
        + " |",
        "| ... cities fetched by each instance | "
        + ", ".join(f"instance {k}: {v}" for k, v in sorted(fetched_by.items()))
        + " |",
        f"| ... waiters' latency (COALESCED, request to last byte), p50 / p99 / max ms | "
        f"{ms(waits)} |",
        f"| ... fetching requests' latency (MISS), p50 / p99 / max ms | {ms(owners)} |",
        f"| ... waiters answered after their city's MISS, p50 / p99 / max ms | {ms(behind)} |",
        "| ... cities per shard (CLUSTER KEYSLOT of each city's entry, then the slot map) | "
        f"{await shard_spread(redis, names)} |",
    ]


def fetched(replies: list[Reply]) -> float | None:
    """When the city's one fetching request had its answer (its value had landed by then);
    None if the city had no MISS or several, which the MISS row shows."""
    misses = [r.done_at for r in replies if r.cache == "MISS"]
    return misses[0] if len(misses) == 1 else None


async def shard_spread(redis: RedisCluster, names: list[str]) -> str:
    """Which primary serves each city's slot now: CLUSTER KEYSLOT, then the slot map."""
    slots = [await redis.cluster_keyslot(weather_key(WeatherQuery.parse(n).key)) for n in names]
    owners = [redis.nodes_manager.get_node_from_slot(slot).name for slot in slots]
    primaries = sorted(node.name for node in redis.get_primaries())
    return ", ".join(
        f"shard {i} ({name}): {owners.count(name)} cities in "
        f"{len({s for s, o in zip(slots, owners, strict=True) if o == name})} slots"
        for i, name in enumerate(primaries, start=1)
    )


def instance(env: dict[str, str]) -> Server:
    port = free_port()
    return Server("skycache", skycache_command(WORKERS, port), env, port)


async def run(args: argparse.Namespace) -> str:
    with LocalRedisCluster() as cluster, FakeOpenMeteo(accept_any=True) as fake:
        host, port = cluster.addresses[0]
        env = {
            "REDIS_URL": f"redis://{host}:{port}/0",
            "REDIS_CLUSTER_NODES": cluster.nodes_setting,
            "SKYCACHE_CACHE": "redis",
            "OPEN_METEO_GEOCODING_URL": fake.url,
            "OPEN_METEO_FORECAST_URL": fake.url,
            "NEAR_CACHE_TTL": "0",
            "LOG_LEVEL": "warning",
            # The fake upstream has no quota: the cache is measured here, not the budget.
            "UPSTREAM_MISSES_PER_CLIENT": "0",
            "UPSTREAM_MAX_PER_MINUTE": "0",
            "UPSTREAM_MAX_PER_HOUR": "0",
            "UPSTREAM_MAX_PER_DAY": "0",
            # 100 cold cities at once: each worker fetches 8 at a time, not one after another
            # (which would keep the last cities' waiters past LOCK_WAIT_TIMEOUT).
            "UPSTREAM_CONCURRENCY": "8",
            "LOCK_WAIT_TIMEOUT": "30",
            "LOCK_TTL": str(LEASE_S),
        }
        apps = [instance(env).start(timeout_s=30.0) for _ in range(2)]
        topology = RedisTopology(env["REDIS_URL"], cluster_nodes=tuple(cluster.addresses))
        redis = create_redis_client(topology, timeout_s=2.0, connect_timeout_s=2.0)
        assert isinstance(redis, RedisCluster)
        await redis.initialize()  # the slot map, which ssubscribe needs
        try:
            urls = [app.url for app in apps]
            await warm_up(urls, weather_target("Miami"))
            await fake.areset()
            await fake.aset(latency_s=args.latency, endpoint="forecast")
            rows = await stampede(urls, redis, fake, args.requests)
            rows.append(await wake_ups(apps, redis, fake, args.rounds, args.waiters))
            await fake.areset()
            await fake.aset(latency_s=args.latency, endpoint="forecast")
            rows += await many_cities(urls, redis, fake, args.cities, args.per_city)
            rows += await lost_wake_up(urls, cluster, fake, 200)
        finally:
            await redis.aclose()
            for app in apps:
                app.stop()
    return render(args, rows)


def render(args: argparse.Namespace, rows: list[str]) -> str:
    machine = f"{os.cpu_count()} CPUs, {platform.system()}, Python {platform.python_version()}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return "\n".join(
        [
            "# Cold-city stampede on a Redis Cluster",
            "",
            f"`python -m bench.stampede_cluster`: {machine}, load average {load} at the end; "
            f"upstream forecast latency {args.latency * 1000:.0f} ms; a 3-primary + 3-replica "
            "Redis Cluster (six redis-server processes), the fake Open-Meteo, two app "
            f"instances of {WORKERS} workers each and this client on one machine, over loopback.",
            "",
            "| measure | result |",
            "|---|---|",
            *rows,
            "",
            "- *After the value landed*: from this script's receipt of the release's SPUBLISH "
            "on the city's sharded channel (the message that wakes the waiters) to each "
            "response's last byte, on one monotonic clock.",
            "- The wake-up series: a fresh city each round, its owner in one instance and "
            f"{args.waiters} waiters in the other; each waiting worker SSUBSCRIBEs the city "
            "(confirmed before its lock attempt returns) and lets it go when its waiters leave.",
            f"- The {args.cities} cold cities: {args.cities * args.per_city} simultaneous "
            f"requests, one connection each, {args.per_city} per city dealt out to the two "
            "instances in turn, each instance first for half of the cities "
            "(UPSTREAM_CONCURRENCY=8 per worker, LOCK_WAIT_TIMEOUT=30). A "
            "waiter's latency runs from its request to its last byte and so includes the "
            f"{args.latency * 1000:.0f} ms fetch; *after their city's MISS* is from the end of "
            "the fetching request's answer (the value had landed by then) to the end of each "
            "waiter's, negative when a waiter was answered first.",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_report(run, parse_args(argv), timeout_s=240)


if __name__ == "__main__":
    raise SystemExit(main())
