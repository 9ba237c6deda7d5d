"""`python -m bench.limiter_cost`: what RATE_LIMIT's limiter adds to a request, in-process.

ClientLimits over a no-op ASGI app, its leases in a real Redis (a local redis-server),
against the bare app: microseconds per request and Redis scripts per 1,000 requests, for
one busy client and for requests spread over many. No HTTP, so the machine's other load
moves these figures far less than a wrk run's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.keys import RATE_LIMIT_PREFIX
from adapters.redis.request_leases import LeasedRequestLimit
from adapters.redis.shared_budget import SharedWindows
from adapters.system_clock import SystemClock
from domain.model.rate import parse_rate
from entrypoints.http.middleware.client_limits import ClientLimits
from tests.support.redis_server import LocalRedisServer


async def bare(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def ignore(message: Any) -> None:
    return None


async def per_request_us(app: Any, requests: int, clients: int) -> float:
    scopes = [
        {"type": "http", "path": "/weather", "method": "GET", "client": (f"10.9.0.{n}", 1)}
        for n in range(clients)
    ]
    started = time.perf_counter()
    for n in range(requests):
        await app(scopes[n % clients], None, ignore)
    return (time.perf_counter() - started) / requests * 1e6


async def scripts(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "eval"))


async def measure(url: str, rate: str, requests: int, clients: int) -> None:
    redis = Redis.from_url(url)
    windows = SharedWindows(
        shares=2,
        redis=RedisWindows(redis, probe_every_s=600, prefix=RATE_LIMIT_PREFIX, settle=False),
        breaker=RedisBreaker(clock=SystemClock()),
    )
    limit = LeasedRequestLimit(parse_rate(rate), windows, SystemClock())
    limited = ClientLimits(bare, lambda: limit, retry_after_max_s=3_600)
    base = await per_request_us(bare, requests, clients)
    before = await scripts(redis)
    with_limit = await per_request_us(limited, requests, clients)
    per_1000 = (await scripts(redis) - before) / requests * 1_000
    print(
        f"| {clients} | {base:.2f} | {with_limit:.2f} | {with_limit - base:+.2f} | {per_1000:.1f} |"
    )
    await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limiter_cost", description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rate-limit", default="1000000/minute")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100, 1000])
    args = parser.parse_args(argv)
    print(f"RATE_LIMIT={args.rate_limit}, {args.requests:,} requests, 2 shares")
    print("| clients | bare µs/req | limited µs/req | added µs | Redis scripts / 1,000 req |")
    print("|---:|---:|---:|---:|---:|")
    with LocalRedisServer() as server:
        for clients in args.clients:
            asyncio.run(measure(server.url, args.rate_limit, args.requests, clients))
    return 0


if __name__ == "__main__":
    sys.exit(main())
