"""`python -m bench.hit_profile`: what one hit costs inside one process, and where.

The whole ASGI stack of `create_asgi` (Date, limits, HEAD, the fast path, ObservedApp)
called directly with a no-op send: a near-cache hit, and a shared-cache hit
(`NEAR_CACHE_TTL=0`) from the in-memory cache, so only Python's work is timed, and
from a real redis-server of its own (its round trip included, the client's CPU only),
one call at a time and `--concurrent` at once (as a loaded server sees them: reads of
one loop turn share a batch). CPU time per call, best of `--rounds`; `--profile` prints
cProfile's top functions by own time. Other load on the machine barely reaches these
figures, unlike req/s (docs/BENCHMARKS.md, "Hit path, issue 25").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from dependency_injector import providers
from litestar.types import ASGIApp, Message

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.settings import Settings
from tests.support.redis_server import LocalRedisServer

HIT: dict[str, Any] = {
    "type": "http",
    "http_version": "1.1",
    "method": "GET",
    "path": "/weather",
    "raw_path": b"/weather",
    "query_string": b"city=Lisbon",
    "scheme": "http",
    "client": ("127.0.0.1", 50000),
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
}
NEAR_OFF_REDIS = {"NEAR_CACHE_TTL": "0", "SKYCACHE_CACHE": "redis"}
# label -> (settings, calls in flight at once; 0: --concurrent)
PATHS: dict[str, tuple[dict[str, str], int]] = {
    "near-cache hit": ({"NEAR_CACHE_TTL": "3600", "SKYCACHE_CACHE": "memory"}, 1),
    "shared-cache hit, memory (NEAR_CACHE_TTL=0)": (
        {"NEAR_CACHE_TTL": "0", "SKYCACHE_CACHE": "memory"},
        1,
    ),
    "shared-cache hit, Redis (NEAR_CACHE_TTL=0)": (NEAR_OFF_REDIS, 1),
    "shared-cache hit, Redis, concurrent (NEAR_CACHE_TTL=0)": (NEAR_OFF_REDIS, 0),
}


SEEN: list[tuple[int, bytes]] = []  # each answer's status and X-Cache, to check them


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    if message["type"] == "http.response.start":
        SEEN.append((message["status"], dict(message["headers"]).get(b"x-cache", b"")))


async def _calls(app: ASGIApp, calls: int, at_once: int) -> float:
    """CPU µs per call, `at_once` in flight together; each call gets its own scope, as a
    server would build it."""
    SEEN.clear()
    started = time.process_time()
    for _ in range(calls // at_once):
        if at_once == 1:
            await app(dict(HIT), _receive, _send)  # type: ignore[arg-type]
        else:
            await asyncio.gather(*(app(dict(HIT), _receive, _send) for _ in range(at_once)))  # type: ignore[arg-type]
    calls = calls // at_once * at_once
    per_call = (time.process_time() - started) / calls * 1e6
    if set(SEEN) != {(200, b"HIT")}:  # anything else would time another path
        raise SystemExit(f"not every answer was a 200 HIT: {set(SEEN)}")
    return per_call


@contextlib.asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[None]:
    """The app's lifespan on this loop (a test client would run it on a thread of its
    own, where Redis's connections would then belong)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan: Any = {"type": "lifespan", "asgi": {"version": "3.0"}}
    task: asyncio.Task[None] = asyncio.create_task(app(lifespan, inbox.get, outbox.put))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


async def measure_app(
    env: dict[str, str], timed: Callable[..., Awaitable[float]], *args: Any
) -> float:
    """`timed(app, *args)` on the whole `create_asgi` stack with these settings (the
    simulated provider), its lifespan running, after a first call has cached the city."""
    container = Container()
    env = {**env, "WEATHER_PROVIDER": "simulated"}
    container.settings.override(providers.Object(Settings.from_env(env)))
    app = create_asgi(app_wiring(container))
    async with serving(app):
        await app(dict(HIT), _receive, _send)  # type: ignore[arg-type]  # a miss: now cached
        return await timed(app, *args)


async def _best(app: ASGIApp, calls: int, at_once: int, rounds: int, profile: bool) -> float:
    best = min([await _calls(app, calls, at_once) for _ in range(rounds)])
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await _calls(app, calls, at_once)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hit_profile", description=__doc__)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=32, help="calls at once")
    parser.add_argument("--only", help="the rows whose label holds this")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with LocalRedisServer() as redis:
        for label, (env, at_once) in PATHS.items():
            if args.only and args.only not in label:
                continue
            env = {**env, "REDIS_URL": redis.url}
            at_once = at_once or args.concurrent
            per_call = asyncio.run(
                measure_app(env, _best, args.calls, at_once, args.rounds, args.profile)
            )
            rows.append(f"| {label} | {per_call:.1f} |")
    print(f"| in process | CPU µs/call, best of {args.rounds} |\n|---|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
