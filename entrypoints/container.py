"""The composition root: the one place where adapters are chosen and wired.

One provider per client and per port, so that a test overrides exactly one thing (the
Redis client, the HTTP client, the clock, the provider) and nothing else opens. The
factories live in entrypoints/wiring/; only this module calls them.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from dependency_injector import containers, providers

from adapters.flushes import Flushes
from adapters.observability.prometheus_instruments import Instruments
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.policy import CachePolicy
from domain.use_cases.admin import PurgeCity, WarmCities
from domain.use_cases.gateway import ServeGateway
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.health import CheckHealth
from domain.use_cases.stampede import StampedeGuard
from domain.use_cases.stats import GetStats
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.http.services import AppWiring, HttpServices
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.settings import Settings
from entrypoints.wiring import copies, gateway, status, storage, tallies, tracing, upstream

T = TypeVar("T")


def _cache_kind(redis: object) -> str:
    return "memory" if redis is None else "redis"


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    instruments = providers.Singleton(Instruments)
    access_log = providers.Singleton(AccessLog)

    # The clients: Resources, opened in the app's lifespan and closed when it ends.
    # `redis` is None when the in-memory adapters serve instead (SKYCACHE_CACHE=memory,
    # or auto and Redis does not answer).
    redis = providers.Resource(storage.open_redis, settings, clock)
    redis_breaker = providers.Singleton(storage.redis_breaker, settings, clock, redis)
    budget = providers.Singleton(upstream.upstream_budget, settings, redis, redis_breaker, clock)
    misses = providers.Singleton(upstream.miss_budget, settings, redis, redis_breaker, clock)
    request_limit = providers.Singleton(
        upstream.request_limit, settings, redis, redis_breaker, clock
    )
    http_client = providers.Resource(
        upstream.open_http_client, settings, instruments, budget, clock
    )

    # The ports. `cache` is the weather, location and last-good store requests use;
    # `shared_cache` is where every worker reads, and whose ping is the cache's health.
    shared_metrics = providers.Singleton(storage.metrics, redis, redis_breaker)
    metrics = providers.Singleton(instruments.provided.count_too.call(shared_metrics))
    memory_cache = providers.Singleton(storage.memory_cache, clock)
    cache = providers.Singleton(
        storage.cache, memory_cache, redis, redis_breaker, metrics, settings, clock
    )
    shared_cache = providers.Singleton(
        storage.shared_cache, memory_cache, redis, redis_breaker, metrics
    )
    # Every write heard by this process's last good copies (LOCAL_COPY_SHARED).
    copies_feed = providers.Resource(copies.open_copies_feed, redis, cache, metrics, settings)
    lock = providers.Resource(storage.open_lock, redis, redis_breaker, clock, settings)
    upstreams = providers.Singleton(
        upstream.upstreams, settings, http_client, cache, metrics, clock, budget
    )
    # Apart, so that a test overrides the provider alone.
    provider = providers.Singleton(operator.attrgetter("provider"), upstreams)
    protected = providers.Singleton(operator.attrgetter("protected"), upstreams)

    # The use cases.
    policy = providers.Singleton(
        CachePolicy,
        fresh_ttl_s=settings.provided.weather_ttl_s,
        stale_ttl_s=settings.provided.stale_ttl_s,
        jitter_max_s=settings.provided.jitter_max_s,
        negative_ttl_s=settings.provided.negative_ttl_s,
        unusable_ttl_s=settings.provided.unusable_ttl_s,
        backoff_base_s=settings.provided.refresh_backoff_s,
        backoff_max_s=settings.provided.refresh_backoff_max_s,
        xfetch_beta=settings.provided.xfetch_beta,
    )
    stampede_guard: providers.Singleton[StampedeGuard[CacheEntry]] = providers.Singleton(
        tracing.stampede_guard,
        providers.Callable(
            tracing.traced_lock, instruments.provided.observe_lock.call(lock, clock)
        ),
        clock=clock,
        lock_ttl_s=settings.provided.lock_ttl_s,
        wait_timeout_s=settings.provided.wait_timeout_s,
    )
    get_weather = providers.Singleton(
        GetWeather,
        cache=cache,
        last_good=cache,
        provider=provider,
        guard=stampede_guard,
        metrics=metrics,
        clock=clock,
        policy=policy,
        misses=misses,
    )
    # The Open-Meteo gateway (docs/GATEWAY.md): its own store, the same lock and budgets.
    part_store = providers.Singleton(
        gateway.part_store, settings, redis, redis_breaker, metrics, clock
    )
    # Its own breaker, beside /weather's provider's: both shown on /status and /metrics.
    gateway_protection = providers.Singleton(gateway.protection, settings, clock, budget)
    serve_gateway = providers.Singleton(
        gateway.serve_gateway,
        settings,
        part_store,
        instruments.provided.observe_lock.call(lock, clock),
        http_client,
        metrics,
        clock,
        misses,
        gateway_protection,
    )
    get_stats = providers.Singleton(GetStats, metrics)
    purge_city = providers.Singleton(PurgeCity, cache)
    warm_cities = providers.Singleton(WarmCities, get_weather, shared_cache)
    cache_kind = providers.Callable(_cache_kind, redis)
    check_health = providers.Singleton(
        CheckHealth,
        shared_cache,
        provider,
        cache_kind=cache_kind,
        shared=providers.Callable(operator.eq, cache_kind, "redis"),
    )

    # The HTTP side.
    near_cache = providers.Singleton(
        NearCache,
        ttl_s=settings.provided.near_cache_ttl_s,
        max_items=settings.provided.near_cache_size,
    )
    top_cities = providers.Singleton(status.top_cities, settings, clock)
    live_readings = providers.Singleton(
        status.live_readings, settings, protected, redis, redis_breaker, gateway_protection
    )
    # Every tally counted in memory, flushed on a timer while open and once more at shutdown.
    flushes = providers.Singleton(
        tallies.flushes, clock, settings, instruments, shared_metrics, top_cities, access_log
    )
    http_services = providers.Factory(
        HttpServices,
        get_weather=get_weather,
        get_stats=get_stats,
        check_health=check_health,
        near_cache=near_cache,
        instruments=instruments,
        provider=provider,
        live=live_readings,
        purge_city=purge_city,
        warm_cities=warm_cities,
        serve_gateway=serve_gateway,
        request_limit=request_limit,
    )


async def _resolved(value: T | Any) -> T:
    # Providers that depend on an async Resource return awaitables (dependency-injector #567).
    return await value if inspect.isawaitable(value) else value


@asynccontextmanager
async def opened_services(container: Container) -> AsyncIterator[HttpServices]:
    """Every Resource open for the block, every tally flushed on its timer; on the way out,
    refreshes drained and every tally flushed once more before the clients close."""
    await _resolved(container.init_resources())
    flushes: Flushes = await _resolved(container.flushes())
    flushes.open()
    try:
        services: HttpServices = await _resolved(container.http_services())
        yield services
    finally:
        get_weather: GetWeather = await _resolved(container.get_weather())
        await get_weather.drain()
        serve_gateway: ServeGateway = await _resolved(container.serve_gateway())
        await serve_gateway.drain()
        await flushes.close()
        await _resolved(container.shutdown_resources())


def app_wiring(container: Container) -> AppWiring:
    """What entrypoints/http/app.py builds the app around."""
    return AppWiring(
        settings=container.settings(),
        near_cache=container.near_cache(),
        instruments=container.instruments(),
        access_log=container.access_log(),
        open_services=lambda: opened_services(container),
        top_cities=container.top_cities(),
    )
