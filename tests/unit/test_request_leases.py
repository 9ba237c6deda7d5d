"""RATE_LIMIT's leases without Redis: each worker counts alone against its share."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.redis.budget_windows import Verdict
from adapters.redis.request_leases import LeasedRequestLimit
from adapters.redis.shared_budget import SharedWindows
from domain.model.admission import BudgetLimit
from tests.unit.fakes import FakeClock

MINUTE = BudgetLimit(40, 60.0, "minute")


def alone(clock: FakeClock, limit: BudgetLimit = MINUTE, shares: int = 2) -> LeasedRequestLimit:
    return LeasedRequestLimit(limit, SharedWindows(shares=shares), clock)


async def admitted(limit: LeasedRequestLimit, requests: int, client: str = "10.0.0.1") -> int:
    return [await limit.admit(client) for _ in range(requests)].count(None)


async def test_without_redis_each_worker_admits_exactly_its_share() -> None:
    clock = FakeClock()
    workers = [alone(clock), alone(clock)]
    assert [await admitted(w, 30) for w in workers] == [20, 20]


async def test_a_refusal_says_how_long_and_the_window_admits_again_once_it_has_passed() -> None:
    clock = FakeClock()
    limit = alone(clock, BudgetLimit(3, 60.0, "minute"), shares=1)
    assert await admitted(limit, 3) == 3
    wait = await limit.admit("10.0.0.1")
    assert wait is not None and 59 <= wait <= 61
    clock.advance(30)
    assert await admitted(limit, 1) == 0
    clock.advance(31.5)
    assert await admitted(limit, 4) == 3


async def test_concurrent_requests_of_one_client_never_get_past_the_limit() -> None:
    limit = alone(FakeClock(), BudgetLimit(5, 60.0, "minute"), shares=1)
    verdicts = await asyncio.gather(*(limit.admit("10.0.0.1") for _ in range(8)))
    assert verdicts.count(None) == 5


class RecordingWindows(SharedWindows):
    """The windows, and the size of every lease asked of them."""

    def __init__(self) -> None:
        super().__init__(shares=1)
        self.asked: list[int] = []

    async def spend(self, *args: Any, **kwargs: Any) -> Verdict:
        self.asked.append(args[3] if len(args) > 3 else kwargs.get("cost", 1))
        return await super().spend(*args, **kwargs)


async def test_a_lease_used_up_grows_and_one_left_unused_sizes_the_next() -> None:
    clock, windows = FakeClock(1_000_000.0), RecordingWindows()
    limit = LeasedRequestLimit(BudgetLimit(6_000, 60.0, "minute"), windows, clock)
    assert await admitted(limit, 1 + 2 + 4 + 8) == 15
    clock.advance(5.0)  # a lease lasts 5 s (a twelfth of the minute): the 8 were all used
    assert await admitted(limit, 3) == 3
    clock.advance(5.0)  # the lease of 16 ended with 3 used
    assert await admitted(limit, 1) == 1
    clock.advance(20.0)  # a pause: the client's old pace says nothing
    assert await admitted(limit, 1) == 1
    assert windows.asked == [1, 2, 4, 8, 16, 3, 1]


async def test_no_lease_holds_more_than_a_tenth_of_the_workers_share() -> None:
    windows = RecordingWindows()
    limit = LeasedRequestLimit(BudgetLimit(40, 60.0, "minute"), windows, FakeClock())
    assert await admitted(limit, 40) == 40
    assert max(windows.asked) == 4
