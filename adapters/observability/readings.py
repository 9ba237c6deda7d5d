"""Readings taken at scrape time, from the worker that answers: health, breakers, quota."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily, Metric


@dataclass(frozen=True, slots=True)
class Readings:
    """Gauges no counter file holds: each worker has its own view of them.

    `redis_up` is None when the service was not set up to use Redis (SKYCACHE_CACHE=memory):
    then no `skycache_redis_up` series exists for an alert to fire on."""

    provider_healthy: bool
    breakers: Mapping[str, str] = field(default_factory=dict)  # name -> closed/open/half-open
    redis_up: bool | None = None
    quota_per_minute: Mapping[str, int] = field(default_factory=dict)  # provider -> HTTP calls

    def families(self) -> list[Metric]:
        health = GaugeMetricFamily(
            "skycache_provider_healthy",
            "1 if the weather provider's recent calls succeeded (breaker closed), else 0",
            value=int(self.provider_healthy),
        )
        breakers = GaugeMetricFamily(
            "skycache_breaker_open",
            "1 while a circuit breaker (a provider's, the gateway's, or 'redis') is open"
            " or half-open, else 0",
            labels=["breaker"],
        )
        for name, state in sorted(self.breakers.items()):
            breakers.add_metric([name], int(state != "closed"))
        quota = GaugeMetricFamily(
            "skycache_upstream_quota_per_minute",
            "Upstream HTTP calls a minute each provider allows the whole cluster "
            "(UPSTREAM_MAX_PER_MINUTE, else its free tier)",
            labels=["provider"],
        )
        for name, calls in sorted(self.quota_per_minute.items()):
            quota.add_metric([name], calls)
        families: list[Metric] = [health, breakers, quota]
        if self.redis_up is not None:
            families.append(
                GaugeMetricFamily(
                    "skycache_redis_up",
                    "1 if Redis answers; 0 while this worker serves from its own copies",
                    value=int(self.redis_up),
                )
            )
        return families
