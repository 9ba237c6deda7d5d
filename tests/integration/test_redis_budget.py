"""The shared budget when Redis fails mid-window: each worker goes on from its own spend."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.shared_budget import SharedUpstreamBudget, SharedWindows
from domain.model.admission import BudgetLimit, Priority
from domain.model.errors import UpstreamBudgetSpent
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration


async def test_calls_spent_through_redis_count_against_the_share_once_redis_is_down(
    redis_client: Redis,
) -> None:
    breaker = RedisBreaker(failures=1, cooldown_s=60)
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
