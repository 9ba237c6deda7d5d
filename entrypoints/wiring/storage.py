"""The shared store: Redis when it answers, else this process's memory, said loudly."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from adapters.host.copies import HostCopies
from adapters.host.lock import HostLock
from adapters.memory.cache import MemoryCache
from adapters.memory.fallback_cache import FallbackCache
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from adapters.observability.redaction import redact
from adapters.redis.breaker import RedisBreaker
from adapters.redis.breaker_stores import BreakerCache, BreakerLock
from adapters.redis.cache import RedisCache

# Re-exported: what redis_failure says of a database index the server lacks.
from adapters.redis.client import DB_OUT_OF_RANGE as DB_OUT_OF_RANGE
from adapters.redis.client import (
    create_redis_client,
    ping_failure,
    warm_pool,
)
from adapters.redis.idle_connections import closing_idle_connections
from adapters.redis.lock import RedisLock
from adapters.redis.metrics import RedisMetrics
from adapters.redis.topology import RedisClient, RedisTopology, shard_of
from adapters.resilience.fallback_lock import FallbackLock
from domain.model.errors import CacheUnavailable
from entrypoints.settings import Settings
from entrypoints.wiring.copies import copies_channel
from ports.cache import LastGoodReader, LocationStore, StoreHealth, WeatherStore
from ports.clock import Clock
from ports.lock import Lock
from ports.metrics import Metrics

log = logging.getLogger("skycache")


class ServedStore(WeatherStore, LastGoodReader, LocationStore, Protocol):
    """What requests read and write through: one object behind three ports."""


class SharedStore(WeatherStore, StoreHealth, Protocol):
    """Where every worker and instance reads, and whose answer is the cache's health."""


async def open_redis(settings: Settings, clock: Clock) -> AsyncIterator[RedisClient | None]:
    """The Redis client, or None when the in-memory adapters serve instead.

    With SKYCACHE_CACHE=redis a Redis that does not answer is used anyway: a worker that
    uvicorn restarts during an outage must start and degrade like its siblings (a worker
    failing its start-up stops the whole service); the CLI refuses, once, before any
    worker starts (entrypoints/startup.py). Connections a burst opened are closed once
    they stand unused for REDIS_POOL_IDLE."""
    if settings.cache_backend == "memory":
        yield None
        return
    client = create_redis_client(
        redis_topology(settings),
        max_connections=settings.redis_pool_max,
        timeout_s=settings.redis_timeout_s,
    )
    try:
        failure = await ping_failure(client)
        if failure and settings.cache_backend != "redis":
            log.warning(
                "!!! REDIS AT %s IS NOT REACHABLE (%s): USING AN IN-MEMORY CACHE. Counters, "
                "locks and cached weather are per process and lost on restart. Set "
                "SKYCACHE_CACHE=redis to refuse to start without Redis. !!!",
                where_redis_is(settings),
                failure,
            )
            yield None
            return
        if failure:
            log.error(
                "%s (%s): starting on it anyway, serving without it until it returns",
                unanswered(settings),
                failure,
            )
        else:
            await warm_pool(client)
        idle_s = settings.redis_pool_idle_s
        async with closing_idle_connections(client, idle_s=idle_s, clock=clock):
            yield client
    finally:
        await client.aclose()


def redis_topology(settings: Settings) -> RedisTopology:
    """Where Redis is: REDIS_URL alone, a cluster's nodes, or the Sentinels that name its
    primary (REDIS_URL still gives the user, password, database and TLS)."""
    return RedisTopology(
        settings.redis_url,
        cluster_nodes=settings.redis_cluster_nodes,
        sentinels=settings.redis_sentinels,
        sentinel_master=settings.redis_sentinel_master,
    )


def unanswered(settings: Settings) -> str:
    return f"SKYCACHE_CACHE=redis but Redis at {where_redis_is(settings)} does not answer"


def where_redis_is(settings: Settings) -> str:
    """Where the configuration says Redis is, without a password: fit for a log line."""
    if settings.redis_sentinels:
        where = ",".join(f"{host}:{port}" for host, port in settings.redis_sentinels)
        return f"{settings.redis_sentinel_master} (Sentinels {where})"
    return redact(settings.redis_url)


async def redis_failure(settings: Settings) -> str | None:
    """Why Redis at REDIS_URL cannot be used (the error's type), or None when it answers."""
    client = create_redis_client(
        redis_topology(settings), max_connections=2, timeout_s=settings.redis_timeout_s
    )
    try:
        return await ping_failure(client)
    finally:
        await client.aclose()


def redis_breaker(settings: Settings, clock: Clock, redis: RedisClient | None) -> RedisBreaker:
    """One circuit for one node; on a cluster, one per shard, so that a failing primary
    does not take Redis away from the cities on the others."""
    return RedisBreaker(
        failures=settings.redis_breaker_failures,
        cooldown_s=settings.redis_breaker_reset_s,
        clock=clock,
        shard_of=None if redis is None else shard_of(redis),
    )


def metrics(redis: RedisClient | None, breaker: RedisBreaker) -> Metrics:
    """Counters in Redis, counted locally and flushed by the container's Flushes
    (wiring/tallies.py), which sends what is left at shutdown."""
    if redis is None:
        return MemoryMetrics()
    return RedisMetrics(redis, breaker=breaker)


def memory_cache(clock: Clock) -> MemoryCache:
    """The store without Redis: served and shared at once, by this process alone."""
    return MemoryCache(clock=clock)


def cache(
    memory: MemoryCache,
    redis: RedisClient | None,
    breaker: RedisBreaker,
    metrics: Metrics,
    settings: Settings,
    clock: Clock,
) -> ServedStore:
    """Redis behind the breaker, with this process's last known good copy in front, and
    under `skycache serve` the copies its workers share while Redis is down between."""
    if redis is None:
        return memory
    shared = RedisCache(redis, metrics=metrics, copies_channel=copies_channel(settings))
    guarded: BreakerCache | HostCopies = BreakerCache(shared, shared, breaker)
    if copies := settings.run_path("copies"):
        # What one worker fetches while Redis is down, its siblings read (see open_lock).
        guarded = HostCopies(guarded, guarded, copies, clock=clock)
    return FallbackCache(guarded, guarded, max_items=settings.local_copy_size, clock=clock)


def shared_cache(
    memory: MemoryCache, redis: RedisClient | None, breaker: RedisBreaker, metrics: Metrics
) -> SharedStore:
    """Where an entry must be for every worker and instance to read it: Redis behind the
    breaker (none of this process's copies in front), or without Redis `memory` itself."""
    if redis is None:
        return memory
    shared = RedisCache(redis, metrics=metrics)
    return BreakerCache(shared, shared, breaker)


async def open_lock(
    redis: RedisClient | None, breaker: RedisBreaker, clock: Clock, settings: Settings
) -> AsyncIterator[Lock]:
    """The stampede lock; Redis' stops its wake-up subscription on shutdown. Under `skycache
    serve` (SKYCACHE_RUN_DIR set), a lock in files the workers share stands in while Redis
    is unreachable, so an instance still fetches a cold city once, not once per worker."""
    if redis is None:
        yield MemoryLock(clock=clock)
        return
    lock = RedisLock(redis)
    with contextlib.suppress(CacheUnavailable):  # down at start-up: the first lease learns it
        await lock.note_dataset()
    guarded = BreakerLock(lock, breaker)
    try:
        if locks := settings.run_path("locks"):
            host = HostLock(locks, clock=clock)
            reset_s = settings.redis_breaker_reset_s
            yield FallbackLock(guarded, host, clock=clock, breaker_reset_s=reset_s)
        else:
            yield guarded
    finally:
        await lock.aclose()
