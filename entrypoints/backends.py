"""Opening the cache backend: Redis when it answers, else the embedded in-memory one."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from adapters.redis_cache import RedisCache
from adapters.redis_lock import RedisLock
from adapters.redis_metrics import RedisMetrics

from adapters.memory_cache import MemoryCache
from adapters.memory_lock import MemoryLock
from adapters.memory_metrics import MemoryMetrics
from adapters.redis_client import create_redis_client
from entrypoints.settings import Settings
from ports.cache import Cache, LocationCache
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


def memory_backend() -> Backend:
    cache = MemoryCache()
    return Backend("memory", cache, cache, MemoryLock(), MemoryMetrics())


async def open_backend(settings: Settings) -> AsyncIterator[Backend]:
    """A dependency-injector Resource: yields the backend, closes it on shutdown."""
    if settings.cache_backend == "memory":
        yield memory_backend()
        return
    client = create_redis_client(
        settings.redis_url,
        max_connections=settings.redis_pool_max,
        timeout_s=settings.redis_timeout_s,
    )
    try:
        reachable = await _answers(client)
        if not reachable and settings.cache_backend == "redis":
            raise StartupError(
                f"SKYCACHE_CACHE=redis but Redis at {_safe(settings)} does not answer"
            )
        if not reachable:
            log.warning(
                "!!! REDIS AT %s IS NOT REACHABLE: USING AN IN-MEMORY CACHE. Counters, locks and "
                "cached weather are per process and lost on restart. Set SKYCACHE_CACHE=redis "
                "to refuse to start without Redis. !!!",
                _safe(settings),
            )
            yield memory_backend()
            return
        metrics = RedisMetrics(client, flush_interval_s=settings.metrics_flush_s)
        lock = RedisLock(client)
        await metrics.start()
        try:
            yield Backend(
                "redis", RedisCache(client, metrics=metrics), RedisCache(client), lock, metrics
            )
        finally:
            await metrics.stop()
            await lock.aclose()
    finally:
        await client.aclose()


async def _answers(client: object) -> bool:
    try:
        return bool(await client.ping())  # type: ignore[attr-defined]
    except Exception:
        return False


def _safe(settings: Settings) -> str:
    """The Redis URL without its password, fit for a log line."""
    from urllib.parse import urlparse

    parsed = urlparse(settings.redis_url)
    host = parsed.hostname or "?"
    return f"{parsed.scheme}://{host}:{parsed.port or 6379}{parsed.path}"
