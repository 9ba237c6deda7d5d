"""The shared budget when Redis fails mid-window: each worker goes on from its own spend."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from adapters.system_clock import SystemClock
from domain.model.admission import BudgetLimit, Priority
from domain.model.errors import TooManyMisses, UpstreamBudgetSpent
from tests.support.redis_server import LocalRedisServer
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration


async def test_calls_spent_through_redis_count_against_the_share_once_redis_is_down(
    redis_client: Redis,
) -> None:
    breaker = RedisBreaker(clock=SystemClock(), failures=1, cooldown_s=60)
    windows = SharedWindows(
        shares=2, redis=RedisWindows(redis_client, probe_every_s=600), breaker=breaker
    )
    limits = {"open-meteo": (BudgetLimit(20, 60.0, "minute"),)}
    budget = SharedUpstreamBudget(limits, windows, FakeClock())
    for _ in range(7):
        await budget.spend("open-meteo", Priority.REFRESH)  # through Redis
    assert await redis_client.keys("skycache:v2:budget:*")

    breaker.failed()  # Redis is down from now on: this worker counts alone, to 10
    for _ in range(3):
        await budget.spend("open-meteo", Priority.REFRESH)
    with pytest.raises(UpstreamBudgetSpent):
        await budget.spend("open-meteo", Priority.REFRESH)


MINUTE = BudgetLimit(10, 60.0, "minute")


def budget_on(client: Redis, clock: FakeClock, *, shares: int = 1) -> SharedUpstreamBudget:
    windows = SharedWindows(shares=shares, redis=RedisWindows(client, probe_every_s=600))
    return SharedUpstreamBudget({"open-meteo": (MINUTE,)}, windows, clock)


async def admitted(budget: SharedUpstreamBudget, tries: int = 30) -> int:
    granted = 0
    for _ in range(tries):
        try:
            await budget.spend("open-meteo", Priority.REFRESH)
        except UpstreamBudgetSpent:
            continue
        granted += 1
    return granted


async def test_a_flush_forgets_nothing_this_worker_spent(redis_client: Redis) -> None:
    clock = FakeClock()
    budget = budget_on(redis_client, clock)
    assert await admitted(budget, tries=9) == 9
    await redis_client.flushdb()

    assert await admitted(budget) == 1  # exactly the limit, then none
    await redis_client.flushdb()
    assert await admitted(budget) == 0
    clock.advance(61)
    assert await admitted(budget) == 10


async def test_after_a_flush_two_workers_together_stay_within_the_limit(
    redis_client: Redis,
) -> None:
    clock = FakeClock()
    one, two = budget_on(redis_client, clock, shares=2), budget_on(redis_client, clock, shares=2)
    assert await admitted(two, tries=2) == 2
    assert await admitted(one, tries=7) == 7  # both known to Redis: no shares bind
    await redis_client.flushdb()

    # Until both have put back their spend, each may spend only its share (5): one is
    # over it, two has 3 left, one of which fits under the whole limit once one's 7 are
    # back too.
    assert await admitted(one) == 0
    assert await admitted(two) == 1
    assert await admitted(one) + await admitted(two) == 0


async def test_a_worker_alone_after_a_flush_spends_only_its_share(redis_client: Redis) -> None:
    clock = FakeClock()
    one, two = budget_on(redis_client, clock, shares=2), budget_on(redis_client, clock, shares=2)
    assert await admitted(two, tries=5) == 5
    await redis_client.flushdb()

    assert await admitted(one) == 5  # two, silent, may have spent its share: one keeps to its own
    clock.advance(60)  # a whole minute on, the shares no longer bind
    assert await admitted(one) == 5
    assert await admitted(two) == 0


async def test_the_daily_closure_survives_a_flush(redis_client: Redis) -> None:
    clock = FakeClock()
    budget = budget_on(redis_client, clock)
    await budget.close("open-meteo", until=clock.now() + 3_600)
    await redis_client.flushdb()

    with pytest.raises(UpstreamBudgetSpent) as refused:
        await budget.spend("open-meteo", Priority.REFRESH)
    assert refused.value.retry_after_s == pytest.approx(600)  # until the next probe
    key = "skycache:v2:budget:{open-meteo}:windows"
    assert await redis_client.hget(key, "until") == str(clock.now() + 3_600).encode()
    # The closure outlives the minute window it shares a hash with.
    assert await redis_client.pttl(key) > 3_590_000
    other = budget_on(redis_client, clock)  # another worker, which never heard of it
    with pytest.raises(UpstreamBudgetSpent):
        await other.spend("open-meteo", Priority.REFRESH)


async def test_the_budget_survives_a_restart_empty(own_redis_server: LocalRedisServer) -> None:
    clock = FakeClock()
    client = Redis.from_url(own_redis_server.url)
    budget = budget_on(client, clock)
    try:
        assert await admitted(budget, tries=10) == 10
        own_redis_server.restart()
        await client.connection_pool.disconnect()
        assert await admitted(budget) == 0
        clock.advance(61)
        assert await admitted(budget) == 10
    finally:
        await client.aclose()


async def test_a_clients_fetches_survive_a_flush(redis_client: Redis) -> None:
    clock = FakeClock()
    windows = SharedWindows(
        shares=2, redis=RedisWindows(redis_client, probe_every_s=600, prefix="m:", settle=False)
    )
    misses = ClientMissBudget(BudgetLimit(3, 60.0, "minute"), windows, clock)
    for _ in range(3):
        await misses.take("127.0.0.1")
    await redis_client.flushdb()

    with pytest.raises(TooManyMisses):
        await misses.take("127.0.0.1")
    await misses.take("127.0.0.2")  # without shares: a new client's first minute is whole
    await misses.take("127.0.0.2")
