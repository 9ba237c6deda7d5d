"""The composition root: the one place where adapters are chosen and wired."""

from __future__ import annotations

import inspect
import operator
from collections.abc import AsyncIterator
from typing import Any

import httpx
from dependency_injector import containers, providers

from adapters.observability.prometheus_instruments import Instruments
from adapters.providers.budgeted_transport import BudgetedTransport
from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.providers.openweathermap import OpenWeatherMapProvider
from adapters.providers.simulated import SimulatedProvider
from adapters.redis.budget import RedisWindows
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from adapters.resilience.counted_provider import CountedAttempts, CountedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.resilience.protected_provider import ProtectedProvider, ProtectionConfig
from adapters.system_clock import SystemClock
from domain.model.admission import PROBE_EVERY_S, BudgetLimit
from domain.model.entry import CacheEntry
from domain.model.policy import CachePolicy
from domain.use_cases.geocoding import CachedGeocoder
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.health import CheckHealth
from domain.use_cases.stampede import StampedeGuard
from domain.use_cases.stats import GetStats
from entrypoints.backends import Backend, open_backend
from entrypoints.http.access_log import AccessLog
from entrypoints.http.near_cache import NearCache
from entrypoints.settings import Settings
from ports.budget import MissBudget, UpstreamBudget
from ports.cache import LocationCache
from ports.clock import Clock
from ports.metrics import Metrics
from ports.provider import WeatherProvider

# Upstream URL paths, named for the metrics' `endpoint` label.
UPSTREAM_ENDPOINTS = {
    "/v1/search": "geocoding",
    "/v1/forecast": "forecast",
    "/data/2.5/weather": "openweathermap",
}
# Which provider's budget each upstream URL path spends from.
UPSTREAM_BUDGETS = {
    "/v1/search": "open-meteo",
    "/v1/forecast": "open-meteo",
    "/data/2.5/weather": "openweathermap",
}
# The providers' published free tiers, in HTTP calls: Open-Meteo's terms (600 a minute,
# 5,000 an hour, 10,000 a day) and OpenWeatherMap's free plan (60 a minute, 1,000,000 a
# month); the simulated provider makes no HTTP call.
FREE_TIERS: dict[str, dict[str, int]] = {
    "open-meteo": {"minute": 600, "hour": 5_000, "day": 10_000},
    "openweathermap": {"minute": 60, "month": 1_000_000},
    "simulated": {},
}
# A month is taken as 31 days, so that no calendar month can hold more than its limit.
PERIODS_S = {"minute": 60.0, "hour": 3_600.0, "day": 86_400.0, "month": 31 * 86_400.0}
RATE_UNITS_S = {"second": 1.0, "minute": 60.0, "hour": 3_600.0, "day": 86_400.0}
# Each client's misses for names never seen, unless UPSTREAM_MISSES_PER_CLIENT says otherwise.
DEFAULT_MISSES_PER_CLIENT = "60/minute"


async def open_http_client(
    settings: Settings,
    instruments: Instruments | None = None,
    budget: UpstreamBudget | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(
        settings.upstream_timeout_s, connect=min(settings.upstream_timeout_s, 2.0)
    )
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    # With a transport of our own, the limits belong to it, not to the client.
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=limits)
    if instruments is not None:
        transport = instruments.observe_transport(transport, UPSTREAM_ENDPOINTS)
    if budget is not None:
        # Outermost: a request the budget refuses is not an upstream call in the metrics.
        transport = BudgetedTransport(transport, budget, UPSTREAM_BUDGETS)
    client = httpx.AsyncClient(
        timeout=timeout, transport=transport, headers={"User-Agent": "skycache"}
    )
    try:
        yield client
    finally:
        await client.aclose()


def budget_limits(settings: Settings) -> dict[str, tuple[BudgetLimit, ...]]:
    """Each provider's free tier, with any UPSTREAM_MAX_PER_* set replacing its window
    (0: that window unlimited)."""
    chosen = {
        "minute": settings.upstream_max_per_minute,
        "hour": settings.upstream_max_per_hour,
        "day": settings.upstream_max_per_day,
        "month": settings.upstream_max_per_month,
    }
    limits = {}
    for name in settings.providers:
        calls = {label: FREE_TIERS[name].get(label, 0) for label in PERIODS_S}
        calls |= {label: count for label, count in chosen.items() if count is not None}
        limits[name] = tuple(
            BudgetLimit(calls[label], period, label)
            for label, period in PERIODS_S.items()
            if calls[label] > 0
        )
    return limits


def budget_windows(settings: Settings, backend: Backend, prefix: str) -> SharedWindows:
    redis = None
    if backend.redis is not None:
        redis = RedisWindows(backend.redis, probe_every_s=PROBE_EVERY_S, prefix=prefix)
    return SharedWindows(
        shares=settings.upstream_budget_shares or settings.workers,
        redis=redis,
        breaker=backend.breaker,
        probe_every_s=PROBE_EVERY_S,
    )


def build_budget(settings: Settings, backend: Backend, clock: Clock) -> UpstreamBudget:
    windows = budget_windows(settings, backend, "skycache:v2:budget:")
    return SharedUpstreamBudget(budget_limits(settings), windows, clock)


def miss_limit(settings: Settings) -> BudgetLimit | None:
    rate = settings.upstream_misses_per_client
    if rate is None:
        only_simulated = set(settings.providers) == {"simulated"}
        rate = "0" if only_simulated else DEFAULT_MISSES_PER_CLIENT  # no quota to protect
    if rate == "0":
        return None
    count, unit = rate.split("/")
    return BudgetLimit(int(count), RATE_UNITS_S[unit], unit)


def build_miss_budget(settings: Settings, backend: Backend, clock: Clock) -> MissBudget | None:
    limit = miss_limit(settings)
    if limit is None:
        return None
    return ClientMissBudget(limit, budget_windows(settings, backend, "skycache:v2:misses:"), clock)


def protection_config(settings: Settings) -> ProtectionConfig:
    return ProtectionConfig(
        concurrency=settings.upstream_concurrency,
        # Each HTTP call (body included) has UPSTREAM_TIMEOUT; a provider call (geocoding
        # and forecast) holds its slot a tenth longer at most: a backstop, so that a slow
        # single request times out in the HTTP layer, reported (and counted) as the
        # upstream's. A caller may wait out one such call and still make its own; a retry
        # must start within UPSTREAM_TIMEOUT of the caller's arrival.
        call_timeout_s=1.1 * settings.upstream_timeout_s,
        queue_timeout_s=1.2 * settings.upstream_timeout_s,
        retry_within_s=settings.upstream_timeout_s,
        retries=settings.upstream_retries,
        breaker_failures=settings.breaker_failures,
        breaker_reset_s=settings.breaker_reset_s,
    )


def build_provider(
    settings: Settings,
    http: httpx.AsyncClient,
    locations: LocationCache,
    metrics: Metrics,
    budget: UpstreamBudget | None = None,
) -> WeatherProvider:
    """Each upstream behind its own protection (concurrency cap, retry, breaker, quota), its
    attempts counted inside it and the calls it let out counted around it;
    several fail over in WEATHER_PROVIDER's order."""
    stacks: list[WeatherProvider] = [
        CountedProvider(
            ProtectedProvider(
                CountedAttempts(build_upstream(name, settings, http, locations), metrics),
                protection_config(settings),
                budget=budget,
            ),
            metrics,
        )
        for name in settings.providers
    ]
    return stacks[0] if len(stacks) == 1 else FailoverProvider(stacks)


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        timeout_s=settings.upstream_timeout_s,
        max_body_bytes=settings.upstream_max_body,
        retry_after_max_s=settings.upstream_retry_after_max_s,
    )


def build_upstream(
    name: str, settings: Settings, http: httpx.AsyncClient, locations: LocationCache
) -> WeatherProvider:
    limits = http_limits(settings)
    if name == "openweathermap":
        return OpenWeatherMapProvider(
            http,
            api_key=settings.openweather_api_key,
            base_url=settings.openweather_url,
            limits=limits,
        )
    if name == "simulated":
        return SimulatedProvider(
            latency_s=settings.simulated_latency_s, failure_rate=settings.simulated_failure_rate
        )
    geocoder = CachedGeocoder(
        OpenMeteoGeocoder(http, base_url=settings.geocoding_url, limits=limits), locations
    )
    return OpenMeteoProvider(http, geocoder, base_url=settings.forecast_url, limits=limits)


def build_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(
        fresh_ttl_s=settings.weather_ttl_s,
        stale_ttl_s=settings.stale_ttl_s,
        jitter_max_s=settings.jitter_max_s,
        negative_ttl_s=settings.negative_ttl_s,
        unusable_ttl_s=settings.unusable_ttl_s,
        backoff_base_s=settings.refresh_backoff_s,
        backoff_max_s=settings.refresh_backoff_max_s,
        xfetch_beta=settings.xfetch_beta,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    instruments = providers.Singleton(Instruments)
    access_log = providers.Singleton(AccessLog)
    backend = providers.Resource(
        open_backend,
        settings=settings,
        wrap_metrics=instruments.provided.count_too,
        clock=clock,
    )
    cache = providers.Callable(operator.attrgetter("cache"), backend)
    locations = providers.Callable(operator.attrgetter("locations"), backend)
    lock = providers.Callable(operator.attrgetter("lock"), backend)
    metrics = providers.Callable(operator.attrgetter("metrics"), backend)
    cache_kind = providers.Callable(operator.attrgetter("kind"), backend)
    observed_lock = providers.Callable(instruments.provided.observe_lock.call(lock))
    budget = providers.Singleton(build_budget, settings, backend, clock)
    misses = providers.Singleton(build_miss_budget, settings, backend, clock)
    http_client = providers.Resource(
        open_http_client, settings=settings, instruments=instruments, budget=budget
    )
    provider = providers.Singleton(
        build_provider, settings, http_client, locations, metrics, budget
    )
    policy = providers.Singleton(build_policy, settings)
    stampede_guard: providers.Singleton[StampedeGuard[CacheEntry]] = providers.Singleton(
        StampedeGuard,
        observed_lock,
        clock=clock,
        lock_ttl_s=settings.provided.lock_ttl_s,
        wait_timeout_s=settings.provided.lock_wait_timeout_s,
    )
    get_weather = providers.Singleton(
        GetWeather,
        cache=cache,
        provider=provider,
        guard=stampede_guard,
        metrics=metrics,
        clock=clock,
        policy=policy,
        locations=locations,
        misses=misses,
    )
    near_cache = providers.Singleton(
        NearCache,
        ttl_s=settings.provided.near_cache_ttl_s,
        max_items=settings.provided.near_cache_size,
    )
    get_stats = providers.Singleton(GetStats, metrics)
    check_health = providers.Singleton(
        CheckHealth,
        cache,
        provider,
        cache_kind=cache_kind,
        shared=providers.Callable(operator.eq, cache_kind, "redis"),
    )


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
        "instruments": container.instruments(),
        "provider": await _resolve(container.provider()),
    }


async def stop_services(container: Container) -> None:
    get_weather: GetWeather = await _resolve(container.get_weather())
    await get_weather.drain()
    container.access_log().flush()
    backend: Backend = await _resolve(container.backend())
    await backend.metrics.flush()
    await _resolve(container.shutdown_resources())
