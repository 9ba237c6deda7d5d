"""Who pays for a fetch: the client whose read started it, only when a call went out."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.lock import MemoryLock
from adapters.redis.shared_budget import ClientMissBudget, SharedWindows
from domain.model.admission import BudgetLimit
from domain.model.errors import TooManyMisses, UpstreamBudgetSpent, UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from ports.budget import MissBudget
from ports.lock import Held, Lease
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import get_weather_over

TTL_S = 20
ATTACKER, VICTIM = "10.0.0.66", "10.0.0.7"


class CountingLock(MemoryLock):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.acquired = 0

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        self.acquired += 1
        return await super().acquire(key, ttl_s)


class SlowMisses(MissBudget):
    """The miss budget over a round trip: each answer takes a few turns of the loop, as
    Redis' would, so other requests arrive while a charge is being taken."""

    def __init__(self, budget: ClientMissBudget) -> None:
        self._budget = budget

    async def take(self, client: str) -> float:
        for _ in range(3):
            await asyncio.sleep(0)
        return await self._budget.take(client)

    async def refund(self, client: str, taken_at: float) -> None:
        await self._budget.refund(client, taken_at)


class World:
    def __init__(self, fetches_per_minute: int) -> None:
        self.clock = FakeClock()
        self.cache = MemoryCache(clock=self.clock)
        self.lock = CountingLock(self.clock)
        self.provider = FakeProvider()
        limit = BudgetLimit(fetches_per_minute, 60.0, "minute")
        self.misses = SlowMisses(ClientMissBudget(limit, SharedWindows(), self.clock))
        self.get_weather = get_weather_over(
            self.cache,
            self.provider,
            self.clock,
            CachePolicy(fresh_ttl_s=TTL_S, jitter_max_s=0, backoff_base_s=5),
            lock=self.lock,
            misses=self.misses,
        )

    async def read(self, city: str, client: str) -> CacheOutcome:
        result = await self.get_weather(WeatherQuery.parse(city), client=client)
        await self.get_weather.drain()
        return result.outcome


async def test_a_fetch_our_own_budget_refused_is_given_back_and_one_sent_is_not() -> None:
    world = World(fetches_per_minute=2)
    world.provider.failing = UpstreamBudgetSpent("no room", retry_after_s=5)
    for _ in range(50):  # the 50-name batch: no call reached the upstream, none is paid
        with pytest.raises(UpstreamUnavailable):
            await world.read("San Jose", ATTACKER)

    world.provider.failing = UpstreamUnavailable("500 from the upstream")  # sent, failed
    with pytest.raises(UpstreamUnavailable):
        await world.read("San Jose", ATTACKER)
    world.provider.failing = None
    assert await world.read("Boise", ATTACKER) is CacheOutcome.MISS
    with pytest.raises(TooManyMisses):
        await world.read("San Jose", ATTACKER)


async def test_a_request_its_budget_refuses_takes_no_lease() -> None:
    world = World(fetches_per_minute=1)
    await world.read("San Jose", ATTACKER)
    taken = world.lock.acquired

    for _ in range(20):
        with pytest.raises(TooManyMisses):
            await world.read("Boise", ATTACKER)

    assert world.lock.acquired == taken
    assert world.provider.calls == ["san jose"]


async def test_requests_joining_a_fetch_in_flight_pay_nothing() -> None:
    """All ten arrive while the first one's charge is still being taken."""
    world = World(fetches_per_minute=1)
    world.provider.gate = asyncio.Event()
    asking = [asyncio.create_task(world.read("San Jose", ATTACKER)) for _ in range(10)]
    for _ in range(10):
        await asyncio.sleep(0)
    world.provider.gate.set()

    outcomes = await asyncio.gather(*asking)

    assert sorted(o.value for o in outcomes) == ["COALESCED"] * 9 + ["MISS"]
    assert world.provider.calls == ["san jose"]
    with pytest.raises(TooManyMisses):  # the one fetch was paid
        await world.read("Boise", ATTACKER)


async def test_a_client_that_leaves_before_its_fetch_ends_still_pays_for_it() -> None:
    world = World(fetches_per_minute=1)
    world.provider.gate = asyncio.Event()
    leaving = asyncio.create_task(world.read("San Jose", ATTACKER))
    for _ in range(10):
        await asyncio.sleep(0)
    leaving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    world.provider.gate.set()
    await asyncio.sleep(0)

    with pytest.raises(TooManyMisses):
        await world.read("Boise", ATTACKER)
    assert world.provider.calls == ["san jose"]


async def test_a_client_refused_leaves_the_fetch_to_the_next_who_pays_for_it() -> None:
    world = World(fetches_per_minute=1)
    await world.read("Boise", ATTACKER)
    attacker = asyncio.create_task(world.read("San Jose", ATTACKER))
    victim = asyncio.create_task(world.read("San Jose", VICTIM))

    with pytest.raises(TooManyMisses):
        await attacker
    assert await victim is CacheOutcome.MISS
    with pytest.raises(TooManyMisses):
        await world.read("Atlantis", VICTIM)


async def test_a_refresh_is_paid_by_the_reader_that_started_it() -> None:
    world = World(fetches_per_minute=2)
    await world.read("San Jose", ATTACKER)
    world.clock.advance(TTL_S + 1)
    assert await world.read("San Jose", ATTACKER) is CacheOutcome.STALE  # its second fetch
    world.clock.advance(TTL_S + 1)
    stale = await world.cache.get("san jose")

    # Out of fetches, its read serves the stale copy and starts no refresh; the copy is
    # left as it was (no back-off), so the next reader's read refreshes it, at its cost.
    assert await world.read("San Jose", ATTACKER) is CacheOutcome.STALE
    assert await world.cache.get("san jose") == stale
    assert await world.read("San Jose", VICTIM) is CacheOutcome.STALE
    assert await world.read("San Jose", ATTACKER) is CacheOutcome.HIT
    assert world.provider.calls == ["san jose"] * 3


async def test_refreshes_through_many_cells_stay_within_the_clients_share() -> None:
    """The attack: ten new places a minute, each then re-read every TTL to keep it alive."""
    world = World(fetches_per_minute=10)
    world.provider.temperatures = {f"cell{chr(97 + i)}": 1.0 for i in range(26)}
    cells = [f"Cell{chr(97 + i)}" for i in range(26)]
    sent_at: list[float] = []
    for _ in range(30):  # 30 rounds, 21 s apart: each cell read every TTL
        before = len(world.provider.calls)
        for cell in cells:
            with contextlib.suppress(TooManyMisses):
                await world.read(cell, ATTACKER)
        sent_at += [world.clock.now()] * (len(world.provider.calls) - before)
        world.clock.advance(TTL_S + 1)

    assert len(sent_at) > 10
    for start in sent_at:
        assert sum(start <= t < start + 60 for t in sent_at) <= 10
