"""Opening the cache backend: Redis when it answers, else the embedded in-memory one."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from adapters.observability.redaction import redact
from adapters.redis.breaker import BreakerCache, BreakerLock, RedisBreaker
from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client, ping_failure, warm_pool
from adapters.redis.lock import RedisLock
from adapters.redis.metrics import RedisMetrics
from adapters.redis.topology import RedisClient, shard_of
from entrypoints.redis_topology import redis_topology
from entrypoints.settings import Settings
from ports.cache import Cache, LocationCache
from ports.clock import Clock
from ports.lock import Lock
from ports.metrics import Metrics

log = logging.getLogger("skycache")


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Backend:
    kind: str
    cache: Cache
    locations: LocationCache
    lock: Lock
    metrics: Metrics
    # Redis and its breaker, for extras that share them (the rate limiter's store).
    redis: RedisClient | None = None
    breaker: RedisBreaker | None = None


WrapMetrics = Callable[[Metrics], Metrics]


def _unwrapped(metrics: Metrics) -> Metrics:
    return metrics


def memory_backend(wrap_metrics: WrapMetrics = _unwrapped, clock: Clock | None = None) -> Backend:
    cache = MemoryCache(clock=clock)
    lock = MemoryLock(clock=clock)
    return Backend("memory", cache, cache, lock, wrap_metrics(MemoryMetrics()))


async def open_backend(
    settings: Settings,
    wrap_metrics: WrapMetrics = _unwrapped,
    *,
    refuse_without_redis: bool = False,
    clock: Clock | None = None,
) -> AsyncIterator[Backend]:
    """A dependency-injector Resource: yields the backend, closes it on shutdown.

    `wrap_metrics` decorates the counters every adapter gets (e.g. to export them too).
    With SKYCACHE_CACHE=redis only the CLI's check before any worker starts refuses to go on
    without Redis (`refuse_without_redis`): a worker that uvicorn restarts during an outage
    starts on Redis anyway and degrades like its siblings, since a worker that fails its
    start-up makes uvicorn stop the whole service."""
    if settings.cache_backend == "memory":
        yield memory_backend(wrap_metrics, clock)
        return
    client = create_redis_client(
        redis_topology(settings),
        max_connections=settings.redis_pool_max,
        timeout_s=settings.redis_timeout_s,
    )
    try:
        failure = await ping_failure(client)
        if failure and settings.cache_backend == "redis":
            reason = unanswered(settings)
            if refuse_without_redis:
                raise StartupError(f"{reason} ({failure})")
            log.error(
                "%s (%s): starting on it anyway, serving without it until it returns",
                reason,
                failure,
            )
        elif failure:
            log.warning(
                "!!! REDIS AT %s IS NOT REACHABLE (%s): USING AN IN-MEMORY CACHE. Counters, "
                "locks and cached weather are per process and lost on restart. Set "
                "SKYCACHE_CACHE=redis to refuse to start without Redis. !!!",
                _safe(settings),
                failure,
            )
            yield memory_backend(wrap_metrics, clock)
            return
        await warm_pool(client)
        breaker = RedisBreaker(
            failures=settings.redis_breaker_failures,
            cooldown_s=settings.redis_breaker_reset_s,
            clock=clock,
            shard_of=shard_of(client),
        )
        metrics = RedisMetrics(client, flush_interval_s=settings.metrics_flush_s, breaker=breaker)
        lock = RedisLock(client)
        await metrics.start()
        counted = wrap_metrics(metrics)
        try:
            cache = _shared_cache(RedisCache(client, metrics=counted), breaker, settings, clock)
            yield Backend(
                "redis", cache, cache, BreakerLock(lock, breaker), counted, client, breaker
            )
        finally:
            await metrics.stop()
            await lock.aclose()
    finally:
        await client.aclose()


def unanswered(settings: Settings) -> str:
    return f"SKYCACHE_CACHE=redis but Redis at {_safe(settings)} does not answer"


async def redis_failure(settings: Settings) -> str | None:
    """Why Redis at REDIS_URL cannot be used (the error's type), or None when it answers."""
    client = create_redis_client(
        redis_topology(settings), max_connections=2, timeout_s=settings.redis_timeout_s
    )
    try:
        return await ping_failure(client)
    finally:
        await client.aclose()


def _shared_cache(
    redis: RedisCache, breaker: RedisBreaker, settings: Settings, clock: Clock | None
) -> FallbackCache:
    """Redis behind the breaker, with this process's last known good copy in front."""
    guarded = BreakerCache(redis, redis, breaker)
    return FallbackCache(guarded, guarded, max_items=settings.local_copy_size, clock=clock)


def _safe(settings: Settings) -> str:
    """The Redis URL without its password, fit for a log line."""
    return redact(settings.redis_url)
