"""GetWeather wired over in-memory adapters, as the unit tests drive it."""

from __future__ import annotations

from typing import Any

from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from domain.model.policy import CachePolicy
from domain.use_cases.get_weather import GetWeather
from domain.use_cases.stampede import StampedeGuard
from ports.cache import Cache
from ports.lock import Lock
from ports.metrics import Metrics
from ports.provider import WeatherProvider
from tests.unit.fakes import FakeClock


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
