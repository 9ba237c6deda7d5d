"""The upstream side: the HTTP client, the shared budgets, and each provider's stack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from adapters.observability.prometheus_instruments import Instruments
from adapters.providers import registry
from adapters.providers.budgeted_transport import BudgetedTransport
from adapters.providers.cached_geocoder import CachedGeocoder
from adapters.providers.http import HttpLimits
from adapters.providers.spec import ProviderContext
from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.keys import BUDGET_PREFIX, MISSES_PREFIX, RATE_LIMIT_PREFIX
from adapters.redis.request_leases import LeasedRequestLimit
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from adapters.redis.topology import RedisClient
from adapters.resilience.counted_provider import CountedAttempts, CountedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.resilience.protected_provider import ProtectedProvider, ProtectionConfig
from domain.model.admission import PROBE_EVERY_S, BudgetLimit
from domain.model.rate import parse_rate
from entrypoints.settings import Settings
from entrypoints.wiring import tracing
from ports.budget import MissBudget, RequestLimit, UpstreamBudget
from ports.cache import LocationStore
from ports.clock import Clock
from ports.metrics import Metrics
from ports.provider import Geocoder, WeatherProvider

# A month is taken as 31 days, so that no calendar month can hold more than its limit.
PERIODS_S = {"minute": 60.0, "hour": 3_600.0, "day": 86_400.0, "month": 31 * 86_400.0}
# Each client's misses for names never seen, unless UPSTREAM_MISSES_PER_CLIENT says otherwise.
DEFAULT_MISSES_PER_CLIENT = "60/minute"


async def open_http_client(
    settings: Settings, instruments: Instruments, budget: UpstreamBudget, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(
        settings.upstream_timeout_s, connect=min(settings.upstream_timeout_s, 2.0)
    )
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    # With a transport of our own, the limits belong to it, not to the client.
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=limits)
    transport = tracing.traced_transport(transport, registry.endpoint_labels())
    transport = instruments.observe_transport(transport, registry.endpoint_labels(), clock)
    # Outermost: a request the budget refuses is not an upstream call in the metrics.
    transport = BudgetedTransport(
        transport, tracing.traced_budget(budget), registry.budget_owners()
    )
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
    specs = registry.by_name()
    # The gateway's provider always: it is called whatever WEATHER_PROVIDER says.
    for name in dict.fromkeys([*settings.providers, *registry.gateway_providers()]):
        calls = {label: specs[name].free_tier.get(label, 0) for label in PERIODS_S}
        calls |= {label: count for label, count in chosen.items() if count is not None}
        limits[name] = tuple(
            BudgetLimit(calls[label], period, label)
            for label, period in PERIODS_S.items()
            if calls[label] > 0
        )
    return limits


def _windows(
    settings: Settings,
    redis: RedisClient | None,
    breaker: RedisBreaker,
    prefix: str,
    *,
    settle: bool,
) -> SharedWindows:
    """In Redis when it is open (behind its breaker), else this process's share."""
    if redis is None:
        return SharedWindows(shares=_shares(settings), probe_every_s=PROBE_EVERY_S)
    return SharedWindows(
        shares=_shares(settings),
        redis=RedisWindows(redis, probe_every_s=PROBE_EVERY_S, prefix=prefix, settle=settle),
        breaker=breaker,
        probe_every_s=PROBE_EVERY_S,
    )


def _shares(settings: Settings) -> int:
    return settings.upstream_budget_shares or settings.workers


def upstream_budget(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, clock: Clock
) -> UpstreamBudget:
    windows = _windows(settings, redis, breaker, BUDGET_PREFIX, settle=True)
    return SharedUpstreamBudget(budget_limits(settings), windows, clock)


def miss_limit(settings: Settings) -> BudgetLimit | None:
    rate = settings.upstream_misses_per_client
    if rate is None:
        specs = registry.by_name()
        no_quota = not any(specs[name].free_tier for name in settings.providers)
        rate = "0" if no_quota else DEFAULT_MISSES_PER_CLIENT  # nothing to protect
    return None if rate == "0" else parse_rate(rate)


def miss_budget(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, clock: Clock
) -> MissBudget | None:
    limit = miss_limit(settings)
    if limit is None:
        return None
    # Not settled by shares: a new client's first minute would be split between workers.
    windows = _windows(settings, redis, breaker, MISSES_PREFIX, settle=False)
    return ClientMissBudget(limit, windows, clock)


def request_limit(
    settings: Settings, redis: RedisClient | None, breaker: RedisBreaker, clock: Clock
) -> RequestLimit | None:
    """RATE_LIMIT, in windows of their own beside the misses' (same rules, same shares)."""
    if not settings.rate_limit:
        return None
    windows = _windows(settings, redis, breaker, RATE_LIMIT_PREFIX, settle=False)
    return LeasedRequestLimit(parse_rate(settings.rate_limit), windows, clock)


def protection_config(settings: Settings, name: str | None = None) -> ProtectionConfig:
    """Provider `name`'s protection, its time bounds from settings.deadlines (docs/TIMING.md):
    each HTTP request has UPSTREAM_TIMEOUT, an attempt its requests in sequence."""
    deadlines = settings.deadlines
    calls = registry.by_name()[name or settings.providers[0]].requests_per_call
    return ProtectionConfig(
        concurrency=settings.upstream_concurrency,
        call_timeout_s=deadlines.attempt_s(calls),
        queue_timeout_s=deadlines.queue_s(calls),
        deadline_s=deadlines.provider_s(calls),
        retries=settings.upstream_retries,
        breaker_failures=settings.breaker_failures,
        breaker_reset_s=settings.breaker_reset_s,
    )


@dataclass(frozen=True, slots=True)
class Upstreams:
    """The provider GetWeather calls, and each upstream's protection in it (its breaker)."""

    provider: WeatherProvider
    protected: tuple[ProtectedProvider, ...]


def upstreams(
    settings: Settings,
    http: httpx.AsyncClient,
    locations: LocationStore,
    metrics: Metrics,
    clock: Clock,
    budget: UpstreamBudget | None = None,
) -> Upstreams:
    """Each upstream behind its own protection (concurrency cap, retry, breaker, quota), its
    attempts counted inside it and the calls it let out counted around it;
    several fail over in WEATHER_PROVIDER's order."""
    protected = tuple(
        ProtectedProvider(
            CountedAttempts(upstream(name, settings, http, locations), metrics),
            protection_config(settings, name),
            clock=clock,
            budget=budget,
        )
        for name in settings.providers
    )
    stacks: list[WeatherProvider] = [CountedProvider(each, metrics) for each in protected]
    provider = stacks[0] if len(stacks) == 1 else FailoverProvider(stacks)
    return Upstreams(provider, protected)


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        timeout_s=settings.upstream_timeout_s,
        max_body_bytes=settings.upstream_max_body,
        retry_after_max_s=settings.upstream_retry_after_max_s,
    )


def upstream(
    name: str, settings: Settings, http: httpx.AsyncClient, locations: LocationStore
) -> WeatherProvider:
    """The adapter WEATHER_PROVIDER names, built by its spec (adapters/providers/registry.py);
    a geocoder it builds remembers its answers in `locations`, read once per miss."""
    spec = registry.by_name()[name]
    options = {s.env: settings.provider_options[s.env] for s in spec.settings}

    def remember(geocoder: Geocoder) -> Geocoder:
        return CachedGeocoder(geocoder, locations)

    return spec.build(ProviderContext(http, remember, http_limits(settings), options))
