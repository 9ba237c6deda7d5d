"""The composition root: the one place where adapters are chosen and wired."""

from __future__ import annotations

import inspect
import operator
from collections.abc import AsyncIterator
from typing import Any

import httpx
from dependency_injector import containers, providers

from adapters.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.simulated_provider import SimulatedProvider
from adapters.system_clock import SystemClock
from domain.geocoding import CachedGeocoder
from domain.get_weather import GetWeather
from domain.health import CheckHealth
from domain.policy import CachePolicy
from domain.stampede import StampedeGuard
from domain.stats import GetStats
from entrypoints.backends import Backend, open_backend
from entrypoints.http.near_cache import NearCache
from entrypoints.settings import Settings
from ports.cache import LocationCache
from ports.provider import WeatherProvider


async def open_http_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(
        settings.upstream_timeout_s, connect=min(settings.upstream_timeout_s, 2.0)
    )
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    client = httpx.AsyncClient(timeout=timeout, limits=limits, headers={"User-Agent": "skycache"})
    try:
        yield client
    finally:
        await client.aclose()


def build_provider(
    settings: Settings, http: httpx.AsyncClient, locations: LocationCache
) -> WeatherProvider:
    if settings.weather_provider == "simulated":
        return SimulatedProvider(
            latency_s=settings.simulated_latency_s, failure_rate=settings.simulated_failure_rate
        )
    geocoder = CachedGeocoder(OpenMeteoGeocoder(http, base_url=settings.geocoding_url), locations)
    return OpenMeteoProvider(http, geocoder, base_url=settings.forecast_url)


def build_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(
        fresh_ttl_s=settings.weather_ttl_s,
        stale_ttl_s=settings.stale_ttl_s,
        jitter_max_s=settings.jitter_max_s,
        negative_ttl_s=settings.negative_ttl_s,
        backoff_base_s=settings.refresh_backoff_s,
        backoff_max_s=settings.refresh_backoff_max_s,
        xfetch_beta=settings.xfetch_beta,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    backend = providers.Resource(open_backend, settings=settings)
    cache = providers.Callable(operator.attrgetter("cache"), backend)
    locations = providers.Callable(operator.attrgetter("locations"), backend)
    lock = providers.Callable(operator.attrgetter("lock"), backend)
    metrics = providers.Callable(operator.attrgetter("metrics"), backend)
    cache_kind = providers.Callable(operator.attrgetter("kind"), backend)
    http_client = providers.Resource(open_http_client, settings=settings)
    provider = providers.Singleton(build_provider, settings, http_client, locations)
    policy = providers.Singleton(build_policy, settings)
    guard = providers.Singleton(
        StampedeGuard,
        lock,
        lock_ttl_s=settings.provided.lock_ttl_s,
        wait_timeout_s=settings.provided.lock_wait_timeout_s,
    )
    get_weather = providers.Singleton(
        GetWeather,
        cache=cache,
        provider=provider,
        guard=guard,
        metrics=metrics,
        clock=clock,
        policy=policy,
    )
    near_cache = providers.Singleton(
        NearCache,
        ttl_s=settings.provided.near_cache_ttl_s,
        max_items=settings.provided.near_cache_size,
    )
    get_stats = providers.Singleton(GetStats, metrics)
    check_health = providers.Singleton(CheckHealth, cache, provider, cache_kind=cache_kind)


async def _resolve(value: Any) -> Any:
    # Providers that depend on an async Resource return awaitables (dependency-injector #567).
    return await value if inspect.isawaitable(value) else value


async def start_services(container: Container) -> dict[str, Any]:
    await _resolve(container.init_resources())
    return {
        "get_weather": await _resolve(container.get_weather()),
        "get_stats": await _resolve(container.get_stats()),
        "check_health": await _resolve(container.check_health()),
        "near_cache": container.near_cache(),
    }


async def stop_services(container: Container) -> None:
    get_weather: GetWeather = await _resolve(container.get_weather())
    await get_weather.drain()
    backend: Backend = await _resolve(container.backend())
    await backend.metrics.flush()
    await _resolve(container.shutdown_resources())
