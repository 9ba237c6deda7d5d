"""GetWeather wired over in-memory adapters, as the unit tests drive it, and the World
most of its tests start from."""

from __future__ import annotations

from typing import Any

from adapters.memory.cache import MemoryCache
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from domain.model.counters import CounterName
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.stampede import StampedeGuard
from ports.cache import Cache
from ports.lock import Lock
from ports.metrics import Metrics
from ports.provider import WeatherProvider
from tests.unit.fakes import FakeClock, FakeProvider


def get_weather_over(
    cache: Cache,
    provider: WeatherProvider,
    clock: FakeClock,
    policy: CachePolicy,
    *,
    lock: Lock | None = None,
    metrics: Metrics | None = None,
    **options: Any,
) -> GetWeather:
    """A one-second lease and wait on `lock` (a fresh MemoryLock by default), and the
    midpoint for every random draw, so that a test's timings are its own."""
    lock = MemoryLock(clock=clock) if lock is None else lock
    guard = StampedeGuard(lock, clock=clock, lock_ttl_s=1.0, wait_timeout_s=1.0)
    return GetWeather(
        cache=cache,
        last_good=options.pop("last_good", cache),
        provider=provider,
        guard=guard,
        metrics=MemoryMetrics() if metrics is None else metrics,
        clock=clock,
        policy=policy,
        uniform=lambda: 0.5,
        **options,
    )


SAN_JOSE = WeatherQuery.parse("San Jose")


class World:
    def __init__(self, cache: Cache | None = None, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.cache = cache or MemoryCache(clock=self.clock)
        self.provider = FakeProvider()
        self.metrics = MemoryMetrics()
        self.lock = MemoryLock(clock=self.clock)
        policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, backoff_base_s=5)
        self.get_weather = get_weather_over(
            self.cache, self.provider, self.clock, policy, lock=self.lock, metrics=self.metrics
        )

    async def counts(self) -> dict[CounterName, int]:
        return dict(await self.metrics.totals())
