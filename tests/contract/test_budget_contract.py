"""The UpstreamBudget and MissBudget contract, counting alone and in Redis (and Valkey)."""

from __future__ import annotations

import random

import pytest

from adapters.redis.budget import RedisWindows
from adapters.redis.shared_budget import ClientMissBudget, SharedUpstreamBudget, SharedWindows
from adapters.redis.topology import RedisClient
from domain.model.admission import BudgetLimit, Priority
from domain.model.errors import TooManyMisses, UpstreamBudgetSpent
from tests.unit.fakes import FakeClock

MINUTE = BudgetLimit(10, 60.0, "minute")
START = 1_000_000.0  # a whole second: buckets of the minute window start on it


@pytest.fixture
def windows(shared_redis: RedisClient | None) -> SharedWindows:
    if shared_redis is None:
        return SharedWindows()
    return SharedWindows(redis=RedisWindows(shared_redis, probe_every_s=600.0))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def budget_of(
    windows: SharedWindows, clock: FakeClock, *limits: BudgetLimit
) -> SharedUpstreamBudget:
    return SharedUpstreamBudget({"open-meteo": limits or (MINUTE,)}, windows, clock)


async def spent(budget: SharedUpstreamBudget, priority: Priority, tries: int = 20) -> int:
    """How many of `tries` calls of `priority` the budget admits now."""
    admitted = 0
    for _ in range(tries):
        try:
            await budget.spend("open-meteo", priority)
        except UpstreamBudgetSpent:
            continue
        admitted += 1
    return admitted


async def test_names_never_seen_stop_at_80_percent_known_places_at_95_refreshes_at_all(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock, BudgetLimit(20, 60.0, "minute"))

    assert await spent(budget, Priority.UNKNOWN) == 16
    assert await spent(budget, Priority.KNOWN) == 3
    assert await spent(budget, Priority.REFRESH) == 1
    assert await spent(budget, Priority.REFRESH) == 0


async def test_a_refused_call_counts_nothing(windows: SharedWindows, clock: FakeClock) -> None:
    budget = budget_of(windows, clock)
    assert await spent(budget, Priority.UNKNOWN, tries=500) == 8

    assert await spent(budget, Priority.REFRESH) == 2


async def test_a_refusal_says_when_the_window_has_room_again(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock)
    assert await spent(budget, Priority.REFRESH) == 10
    clock.advance(30)

    with pytest.raises(UpstreamBudgetSpent) as refused:
        await budget.spend("open-meteo", Priority.REFRESH)
    # The calls' one-second bucket leaves the window 61 s after it began.
    assert refused.value.retry_after_s == pytest.approx(31)

    clock.advance(30.5)
    assert await spent(budget, Priority.REFRESH) == 0
    clock.advance(0.5)
    assert await spent(budget, Priority.REFRESH) == 10


async def test_every_window_must_have_room(windows: SharedWindows, clock: FakeClock) -> None:
    budget = budget_of(
        windows, clock, BudgetLimit(600, 60.0, "minute"), BudgetLimit(3, 3_600.0, "hour")
    )
    assert await spent(budget, Priority.REFRESH) == 3
    clock.advance(120)

    with pytest.raises(UpstreamBudgetSpent) as refused:
        await budget.spend("open-meteo", Priority.REFRESH)
    # The hour's buckets are a minute wide; the calls' bucket ends 20 s after START.
    assert refused.value.retry_after_s == pytest.approx(20 + 3_600 - 120)


async def test_no_span_of_a_window_ever_holds_more_than_its_limit(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock)
    granted: list[float] = []
    rng = random.Random(11)
    for _ in range(400):
        clock.advance(rng.uniform(0, 1.5))
        if await spent(budget, Priority.REFRESH, tries=1):
            granted.append(clock.now())

    assert len(granted) > 40
    for start in granted:
        assert sum(start <= t < start + 60 for t in granted) <= MINUTE.calls


async def test_each_upstream_has_its_own_budget(windows: SharedWindows, clock: FakeClock) -> None:
    limits = {"open-meteo": (MINUTE,), "openweathermap": (BudgetLimit(2, 60.0, "minute"),)}
    budget = SharedUpstreamBudget(limits, windows, clock)
    await budget.spend("openweathermap", Priority.REFRESH)
    await budget.spend("openweathermap", Priority.REFRESH)

    with pytest.raises(UpstreamBudgetSpent):
        await budget.spend("openweathermap", Priority.REFRESH)
    assert await spent(budget, Priority.REFRESH) == 10
    await budget.spend("simulated", Priority.UNKNOWN)  # no limits: never refused


async def test_a_closed_upstream_lets_one_probe_through_every_ten_minutes(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock)
    await budget.close("open-meteo", until=START + 7_200)

    with pytest.raises(UpstreamBudgetSpent) as refused:
        await budget.spend("open-meteo", Priority.REFRESH)
    assert refused.value.retry_after_s == pytest.approx(600)
    clock.advance(600)

    assert await budget.spend("open-meteo", Priority.UNKNOWN) is True
    with pytest.raises(UpstreamBudgetSpent) as refused:
        await budget.spend("open-meteo", Priority.REFRESH)
    assert refused.value.retry_after_s == pytest.approx(600)

    await budget.reopen("open-meteo")
    assert await budget.spend("open-meteo", Priority.UNKNOWN) is False


async def test_a_closure_ends_when_the_upstream_said_it_would(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock)
    await budget.close("open-meteo", until=START + 300)
    clock.advance(300)

    assert await spent(budget, Priority.UNKNOWN) == 8


async def test_each_client_has_its_own_miss_budget(
    windows: SharedWindows, clock: FakeClock
) -> None:
    misses = ClientMissBudget(BudgetLimit(3, 60.0, "minute"), windows, clock)
    for _ in range(3):
        await misses.take("127.0.0.1")

    with pytest.raises(TooManyMisses) as refused:
        await misses.take("127.0.0.1")
    assert refused.value.retry_after_s == pytest.approx(61)
    await misses.take("127.0.0.2")


async def test_a_fetch_given_back_frees_its_place_and_only_its_own(
    windows: SharedWindows, clock: FakeClock
) -> None:
    misses = ClientMissBudget(BudgetLimit(3, 60.0, "minute"), windows, clock)
    first = await misses.take("127.0.0.1")
    clock.advance(10)
    for _ in range(2):
        await misses.take("127.0.0.1")
    await misses.refund("127.0.0.1", first)

    await misses.take("127.0.0.1")  # the place given back
    with pytest.raises(TooManyMisses):
        await misses.take("127.0.0.1")
    await misses.refund("127.0.0.1", first)  # given back twice: its bucket has no more
    clock.advance(40)
    with pytest.raises(TooManyMisses) as refused:
        await misses.take("127.0.0.1")
    assert refused.value.retry_after_s == pytest.approx(21)  # the 10th second's three leave


async def test_a_weighted_call_counts_as_its_weight_rounded_up(
    windows: SharedWindows, clock: FakeClock
) -> None:
    budget = budget_of(windows, clock)
    await budget.spend("open-meteo", Priority.REFRESH, 2.5)  # 3 of 10
    await budget.spend("open-meteo", Priority.REFRESH, 7.0)  # 10 of 10: just inside
    with pytest.raises(UpstreamBudgetSpent):
        await budget.spend("open-meteo", Priority.REFRESH, 1.0)  # just outside


async def test_a_weighted_miss_counts_as_its_weight(
    windows: SharedWindows, clock: FakeClock
) -> None:
    misses = ClientMissBudget(MINUTE, windows, clock)
    await misses.take("203.0.113.7", 9.2)  # 10 of 10
    with pytest.raises(TooManyMisses):
        await misses.take("203.0.113.7", 1.0)
    await misses.take("203.0.113.8", 1.0)  # another client's window
