"""The composition root on a real Redis, reached by overriding the one client provider."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from dependency_injector import providers
from redis.asyncio import Redis

from adapters.redis.client import WARM_CONNECTIONS
from adapters.redis.keys import STATS_KEY
from domain.model.counters import CounterName
from domain.model.query import WeatherQuery
from entrypoints.container import Container, opened_services
from entrypoints.settings import Settings
from entrypoints.wiring.storage import open_redis
from tests.support.connections import BURST, burst
from tests.support.waiting import eventually
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration


def on(redis_client: Redis) -> Container:
    container = Container()
    # REDIS_URL points nowhere: only the overridden client may be used.
    env = {"REDIS_URL": "redis://127.0.0.1:1/0", "WEATHER_PROVIDER": "simulated"}
    container.settings.override(providers.Object(Settings.from_env(env)))
    container.redis.override(providers.Object(redis_client))
    return container


async def test_a_given_redis_client_carries_the_cache_the_counters_and_the_health(
    redis_client: Redis,
) -> None:
    container = on(redis_client)
    async with opened_services(container) as services:
        await services.get_weather(WeatherQuery.parse("Paris"))
        health = await services.check_health()
        stats = await services.get_stats()
    assert health.cache == "redis" and health.shared_cache_ok
    assert stats["api_calls"] == 1
    assert await redis_client.dbsize() > 0  # the entry (and counters) live in Redis


async def test_counts_still_pending_at_shutdown_reach_redis_before_its_client_closes(
    redis_client: Redis,
) -> None:
    container = on(redis_client)
    container.clock.override(providers.Object(FakeClock()))  # no flush period ever ends
    async with opened_services(container) as services:
        await services.get_weather(WeatherQuery.parse("Paris"))
        assert await redis_client.hget(STATS_KEY, CounterName.API_CALLS.value) is None
    assert await redis_client.hget(STATS_KEY, CounterName.API_CALLS.value) == b"1"


async def test_redis_pool_idle_reaches_the_client_a_worker_serves_with(redis_url: str) -> None:
    clock = FakeClock()
    env = {"REDIS_URL": redis_url, "SKYCACHE_CACHE": "redis", "REDIS_POOL_IDLE": "0.5"}
    async with asynccontextmanager(open_redis)(Settings.from_env(env), clock) as client:
        assert isinstance(client, Redis)
        await burst(client, BURST)

        async def a_period_later() -> bool:  # the burst's period, then one unused
            clock.advance(0.5)
            pool = client.connection_pool
            held = len(pool._available_connections) + len(pool._in_use_connections)
            return held == WARM_CONNECTIONS

        await eventually(a_period_later, 5.0, "back to the floor")
