"""What /metrics and /status read of the wiring: breaker states and minute quotas."""

from __future__ import annotations

from collections.abc import Iterator

from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.resilience.counted_provider import CountedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.resilience.protected_provider import ProtectedProvider
from entrypoints.http.services import LiveReadings
from entrypoints.http.status.top_cities import TopCities
from entrypoints.settings import Settings
from entrypoints.wiring.upstream import budget_limits
from ports.provider import WeatherProvider


def live_readings(
    settings: Settings, provider: WeatherProvider, redis: Redis | None, breaker: RedisBreaker
) -> LiveReadings:
    protected = list(_protected(provider))

    def breakers() -> dict[str, str]:
        states = {p.name: p.state for p in protected}
        if redis is not None:
            states["redis"] = "open" if breaker.is_open else "closed"
        return states

    minute = {
        name: limit.calls
        for name, limits in budget_limits(settings).items()
        for limit in limits
        if limit.label == "minute"
    }
    return LiveReadings(
        breakers=breakers,
        quota_per_minute=minute,
        redis_expected=settings.cache_backend != "memory",
    )


def _protected(provider: WeatherProvider) -> Iterator[ProtectedProvider]:
    """The breakers in the stack upstream.provider() built (none in a test's fake)."""
    if isinstance(provider, FailoverProvider):
        for each in provider.providers:
            yield from _protected(each)
    elif isinstance(provider, CountedProvider):
        yield from _protected(provider.inner)
    elif isinstance(provider, ProtectedProvider):
        yield provider


def top_cities(settings: Settings) -> TopCities:
    """Shared with the instance's other workers through the metrics part of the directory
    `skycache serve` gives them all (none in a test's in-process app)."""
    return TopCities(directory=settings.run_path("metrics"))
