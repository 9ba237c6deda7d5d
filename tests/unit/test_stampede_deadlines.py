"""A waiter's deadline, derived from its owner's allowance, on the event loop's real clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from adapters.memory.lock import MemoryLock
from adapters.resilience.fallback_lock import FallbackLock
from adapters.system_clock import SystemClock
from domain.model.deadlines import Deadlines
from domain.model.errors import CacheUnavailable, WaitTimedOut
from domain.use_cases.stampede import Role, StampedeGuard
from ports.lock import Held, Lease, Watch

# Small enough to run in real time: a waiter allows the lock's wait (0.2 + 0.1 + 0.5),
# then a whole owner (0.47), then its re-read (0.01): 1.28 s.
DEADLINES = Deadlines(request_s=0.1, redis_s=0.01, lease_s=0.2, breaker_reset_s=0.1)


class Owner:
    """The owner's fetch: it takes `takes_s` (None: never ends), then stores its answer."""

    def __init__(self, takes_s: float | None) -> None:
        self.takes_s = takes_s
        self.calls = 0
        self.stored: str | None = None

    async def load(self, _fence: int | None = None) -> str:
        self.calls += 1
        if self.takes_s is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.takes_s or 0)
        self.stored = "answer"
        return self.stored

    async def peek(self) -> str | None:
        return self.stored


class UnreachableLock(MemoryLock):
    """Redis' lock while Redis cannot be reached."""

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        raise CacheUnavailable("redis lock skipped: breaker open")

    def watch(self, key: str) -> Watch:
        raise CacheUnavailable("no subscription")


def _guard(lock: MemoryLock | FallbackLock, clock: SystemClock) -> StampedeGuard[str]:
    return StampedeGuard[str](
        lock, clock=clock, lock_ttl_s=DEADLINES.lease_s, wait_timeout_s=DEADLINES.waiter_s
    )


Pair = Callable[[], tuple[StampedeGuard[str], StampedeGuard[str]]]


def two_processes() -> tuple[StampedeGuard[str], StampedeGuard[str]]:
    clock = SystemClock()
    lock = MemoryLock(clock=clock)
    return _guard(lock, clock), _guard(lock, clock)


def two_workers_in_a_redis_outage() -> tuple[StampedeGuard[str], StampedeGuard[str]]:
    """Two workers of one instance, each with its FallbackLock, sharing the host lock."""
    clock = SystemClock()
    host = MemoryLock(clock=clock)

    def worker() -> StampedeGuard[str]:
        redis = UnreachableLock(clock=clock)
        reset_s = DEADLINES.breaker_reset_s
        return _guard(FallbackLock(redis, host, clock=clock, breaker_reset_s=reset_s), clock)

    return worker(), worker()


# Two processes on one lock; two workers of one instance through a Redis outage, where the
# host lock grants nothing for a lease and the breaker's cooldown before its owner starts.
PAIRS = [two_processes, two_workers_in_a_redis_outage]


@pytest.mark.parametrize("pair", PAIRS)
async def test_a_waiter_gets_the_answer_of_an_owner_that_uses_its_whole_allowance(
    pair: Pair,
) -> None:
    first, second = pair()
    owner = Owner(takes_s=DEADLINES.owner_s)
    fetch = asyncio.create_task(first.run("k", owner.load, owner.peek))
    await asyncio.sleep(0)  # the owner takes the lease (in the outage: asks the host lock first)
    async with asyncio.timeout(5):
        waited = await second.run("k", owner.load, owner.peek)
        assert await fetch == ("answer", Role.OWNER)
    assert waited == ("answer", Role.COALESCED)
    assert owner.calls == 1  # the lease outlived its TTL: kept alive, never taken over


@pytest.mark.parametrize("pair", PAIRS)
async def test_a_waiter_whose_owner_overruns_its_allowance_gives_up_at_its_deadline(
    pair: Pair,
) -> None:
    first, second = pair()
    owner = Owner(takes_s=None)
    fetch = asyncio.create_task(first.run("k", owner.load, owner.peek))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(5):
        with pytest.raises(WaitTimedOut) as timed_out:
            await second.run("k", owner.load, owner.peek)
    assert loop.time() - started >= DEADLINES.waiter_s  # not a moment before it
    assert owner.calls == 1
    # Its log line names the key and what the waiter saw: the lease held at every ask.
    assert "'k': its lease was held at each of" in timed_out.value.reason
    fetch.cancel()
