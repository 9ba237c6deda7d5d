"""Fences from one clock: a host whose clock runs ahead by more than a lease still loses
to a fetch that started after its own, because both are fenced by Redis' clock."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from adapters.redis.cache import RedisCache
from adapters.redis.keys import lease_key
from adapters.redis.lock import RedisLock
from domain.model.admission import UpstreamCall
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.use_cases.get_weather import fence_of
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import get_weather_over

pytestmark = pytest.mark.integration

BOISE = WeatherQuery.parse("Boise")
SKEW_S = 60.0  # far more than the one-second lease both hosts use


class WireProvider(FakeProvider):
    """FakeProvider's answers as the Redis envelope stores them (a float humidity)."""

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        weather = await super().current(query, call)
        return Weather(
            city=weather.city,
            temperature=weather.temperature,
            humidity=65.0,
            description=weather.description,
            provider=weather.provider,
        )


async def _fetching(provider: FakeProvider, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not provider.calls:
        assert time.monotonic() < deadline, "the first fetch never started"
        await asyncio.sleep(0.01)


async def test_the_newer_fetch_wins_though_the_older_ones_host_clock_runs_ahead(
    redis_client: Redis,
) -> None:
    ahead, true = FakeClock(time.time() + SKEW_S), FakeClock(time.time())
    assert fence_of(ahead.now()) > fence_of(true.now())  # host clocks would crown the older
    older, newer = WireProvider({"boise": 3.0}), WireProvider({"boise": 30.0})
    older.gate = asyncio.Event()
    locks = [RedisLock(redis_client), RedisLock(redis_client)]
    cache = RedisCache(redis_client)
    hosts = [
        get_weather_over(cache, provider, clock, CachePolicy(), lock=lock)
        for provider, clock, lock in ((older, ahead, locks[0]), (newer, true, locks[1]))
    ]
    try:
        late = asyncio.create_task(hosts[0](BOISE))
        await _fetching(older)
        await redis_client.delete(lease_key(BOISE.key))  # its lease lost (restart, eviction)
        answered = await hosts[1](BOISE)
        older.gate.set()
        assert (await late).weather.temperature == 3.0  # it finished last, and answered
    finally:
        for lock in locks:
            await lock.aclose()
    stored = await cache.get(BOISE.key)
    assert answered.weather.temperature == 30.0
    assert stored is not None and stored.weather is not None
    assert stored.weather.temperature == 30.0
