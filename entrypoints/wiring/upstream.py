"""The upstream side: the HTTP client, the shared budgets, and each provider's stack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from adapters.observability.prometheus_instruments import Instruments
from adapters.providers.budgeted_transport import BudgetedTransport
from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.providers.openweathermap import OpenWeatherMapProvider
from adapters.providers.simulated import SimulatedProvider
from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.keys import BUDGET_PREFIX, MISSES_PREFIX
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from adapters.redis.topology import RedisClient
from adapters.resilience.counted_provider import CountedAttempts, CountedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.resilience.protected_provider import ProtectedProvider, ProtectionConfig
from domain.model.admission import PROBE_EVERY_S, BudgetLimit
from domain.use_cases.geocoding import CachedGeocoder
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
    "/v1/air-quality": "air-quality",
    "/v1/archive": "archive",
    "/data/2.5/weather": "openweathermap",
}
# Which provider's budget each upstream URL path spends from.
UPSTREAM_BUDGETS = {
    "/v1/search": "open-meteo",
    "/v1/forecast": "open-meteo",
    "/v1/air-quality": "open-meteo",
    "/v1/archive": "open-meteo",
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
    settings: Settings, instruments: Instruments, budget: UpstreamBudget
) -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(
        settings.upstream_timeout_s, connect=min(settings.upstream_timeout_s, 2.0)
    )
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    # With a transport of our own, the limits belong to it, not to the client.
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=limits)
    transport = instruments.observe_transport(transport, UPSTREAM_ENDPOINTS)
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
    # Open-Meteo's always: the gateway (docs/GATEWAY.md) calls it whatever WEATHER_PROVIDER says.
    for name in dict.fromkeys([*settings.providers, "open-meteo"]):
        calls = {label: FREE_TIERS[name].get(label, 0) for label in PERIODS_S}
        calls |= {label: count for label, count in chosen.items() if count is not None}
        limits[name] = tuple(
            BudgetLimit(calls[label], period, label)
            for label, period in PERIODS_S.items()
            if calls[label] > 0
        )
    return limits


def _windows(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, prefix: str
) -> SharedWindows:
    """In Redis when it is open (behind its breaker), else this process's share."""
    if redis is None:
        return SharedWindows(shares=_shares(settings), probe_every_s=PROBE_EVERY_S)
    return SharedWindows(
        shares=_shares(settings),
        redis=RedisWindows(redis, probe_every_s=PROBE_EVERY_S, prefix=prefix),
        breaker=breaker,
        probe_every_s=PROBE_EVERY_S,
    )


def _shares(settings: Settings) -> int:
    return settings.upstream_budget_shares or settings.workers


def upstream_budget(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, clock: Clock
) -> UpstreamBudget:
    windows = _windows(settings, redis, breaker, BUDGET_PREFIX)
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


def miss_budget(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, clock: Clock
) -> MissBudget | None:
    limit = miss_limit(settings)
    if limit is None:
        return None
    windows = _windows(settings, redis, breaker, MISSES_PREFIX)
    return ClientMissBudget(limit, windows, clock)


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


def provider(
    settings: Settings,
    http: httpx.AsyncClient,
    locations: LocationCache,
    metrics: Metrics,
    clock: Clock,
    budget: UpstreamBudget | None = None,
) -> WeatherProvider:
    """Each upstream behind its own protection (concurrency cap, retry, breaker, quota), its
    attempts counted inside it and the calls it let out counted around it;
    several fail over in WEATHER_PROVIDER's order."""
    stacks: list[WeatherProvider] = [
        CountedProvider(
            ProtectedProvider(
                CountedAttempts(upstream(name, settings, http, locations), metrics),
                protection_config(settings),
                clock=clock,
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


def upstream(
    name: str, settings: Settings, http: httpx.AsyncClient, locations: LocationCache
) -> WeatherProvider:
    """The adapter WEATHER_PROVIDER names; a new provider adds its branch here."""
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
