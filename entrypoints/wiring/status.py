"""What /metrics and /status read of the wiring: breaker states and minute quotas."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.resilience.protected_provider import ProtectedProvider
from adapters.resilience.protection import Protection
from entrypoints.http.services import LiveReadings
from entrypoints.http.status.top_cities import CityCounts, TopCities
from entrypoints.settings import Settings
from entrypoints.wiring.upstream import budget_limits
from ports.clock import Clock

# How often a worker rewrites its top-cities file (wiring/tallies.py); the other workers
# leave out a file not rewritten for three of these.
TOP_CITIES_SHARE_S = 2.0
GATEWAY_BREAKER = "open-meteo-gateway"


def live_readings(
    settings: Settings,
    protected: Sequence[ProtectedProvider],
    redis: Redis | None,
    breaker: RedisBreaker,
    gateway: Protection,
) -> LiveReadings:
    """`protected`: each upstream's protection, as upstreams() built them; `gateway`: the
    gateway's own (named apart: it calls Open-Meteo too)."""

    def breakers() -> dict[str, str]:
        states = {p.name: p.state for p in protected}
        states[GATEWAY_BREAKER] = gateway.state
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


def top_cities(settings: Settings, clock: Clock) -> TopCities:
    """Shared with the instance's other workers through the metrics part of the directory
    `skycache serve` gives them all (none in a test's in-process app)."""
    counts = CityCounts(clock=clock)
    return TopCities(counts, directory=settings.run_path("metrics"), every_s=TOP_CITIES_SHARE_S)
