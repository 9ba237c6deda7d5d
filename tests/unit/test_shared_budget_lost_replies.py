"""A budget call whose reply Redis never sent: the worker's share counts it anyway.

A timed-out script may have counted the call in Redis; if the worker did not count it too,
its share (what it may spend alone while Redis is out) would admit calls Redis already
granted, and the budget would be overspent by the lost replies."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis.budget import Ask
from adapters.redis.budget_windows import Ceiling, Ceilings, Verdict
from adapters.redis.errors import unavailable_on_error
from adapters.redis.shared_budget import SharedWindows
from domain.model.admission import BudgetLimit

LIMIT = BudgetLimit(4, 60.0, "minute")
# One worker: its share is the whole limit.
CEILINGS = Ceilings((Ceiling(LIMIT, LIMIT.calls),), (Ceiling(LIMIT, LIMIT.calls),))


class LostReplies:
    """Redis windows whose every call fails with `error`, as the driver reports it."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def spend(self, name: str, ask: Ask, now: float, cost: int = 1) -> Verdict:
        self.calls += 1
        with unavailable_on_error("budget script"):  # translated as the real windows are
            raise self.error


async def admitted(windows: SharedWindows, asks: int) -> int:
    return sum([(await windows.spend("open-meteo", CEILINGS, 10.0)).granted for _ in range(asks)])


async def test_a_timed_out_call_counts_against_the_share_as_well() -> None:
    lost = LostReplies(RedisTimeoutError("Timeout reading from socket"))
    windows = SharedWindows(redis=lost)
    # Each timed-out call may have been counted in Redis: counted here too, so at most half
    # of the share is admitted alone, and never more than the limit in both places together.
    assert await admitted(windows, 4) == 2
    assert await admitted(windows, 4) == 0
    assert lost.calls == 8


@pytest.mark.parametrize("error", [RedisConnectionError("refused"), OSError("unreachable")])
async def test_a_call_that_never_reached_redis_costs_only_its_own_admission(
    error: Exception,
) -> None:
    windows = SharedWindows(redis=LostReplies(error))
    assert await admitted(windows, 5) == 4  # the whole share, just inside; the fifth refused
