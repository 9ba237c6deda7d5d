"""FallbackLock: the Redis lock while it answers, the host lock while it does not."""

from __future__ import annotations

import pytest

from adapters.memory.lock import MemoryLock
from adapters.resilience.fallback_lock import RECHECK_S, FallbackLock
from domain.model.errors import CacheUnavailable
from ports.lock import Held, Lease, Signal, Watch
from tests.support.locks import heard, lease_of
from tests.unit.fakes import FakeClock


class SwitchableLock(MemoryLock):
    """An in-memory lock that can be taken down, as Redis' is when it is unreachable."""

    def __init__(self) -> None:
        super().__init__(clock=FakeClock())
        self.down = False

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        if self.down:
            raise CacheUnavailable("redis lock skipped: breaker open")
        return await super().acquire(key, ttl_s)

    def watch(self, key: str) -> Watch:
        if self.down:
            raise CacheUnavailable("no subscription")
        return super().watch(key)


@pytest.fixture
def primary() -> SwitchableLock:
    return SwitchableLock()


@pytest.fixture
def fallback() -> MemoryLock:
    return MemoryLock(clock=FakeClock())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lock(primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock) -> FallbackLock:
    return FallbackLock(primary, fallback, clock=clock)


async def _outage_of(lock: FallbackLock, clock: FakeClock, seconds: float) -> None:
    """The primary has been unreachable for `seconds`, as the FallbackLock saw it."""
    assert isinstance(await lock.acquire("first look", 5.0), Held)
    clock.advance(seconds)


async def test_while_the_primary_answers_the_fallback_is_left_alone(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock
) -> None:
    await lease_of(lock, "boise")
    assert isinstance(await primary.acquire("boise", 5.0), Held)
    await lease_of(fallback, "boise")  # never taken through the FallbackLock


async def test_while_the_primary_is_down_the_fallback_grants_the_leases(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock
) -> None:
    primary.down = True
    await _outage_of(lock, clock, 5.0)
    await lease_of(lock, "boise")
    assert isinstance(await lock.acquire("boise", 5.0), Held)
    assert isinstance(await fallback.acquire("boise", 5.0), Held)


@pytest.mark.parametrize("released_by", ["primary", "fallback"])
async def test_a_watch_hears_a_release_by_either_lock(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock, released_by: str
) -> None:
    holder = primary if released_by == "primary" else fallback
    assert await heard(lock, holder, "boise", Signal.FAILED) is Signal.FAILED


async def test_a_watch_with_no_news_from_either_times_out(lock: FallbackLock) -> None:
    watch = lock.watch("boise")
    try:
        assert await watch.wait(0.05) is Signal.TIMEOUT
    finally:
        watch.close()


async def test_with_the_primary_down_a_watch_hears_the_fallback_alone(
    lock: FallbackLock, primary: SwitchableLock, clock: FakeClock
) -> None:
    primary.down = True
    await _outage_of(lock, clock, 5.0)
    assert await heard(lock, lock, "boise", Signal.DONE) is Signal.DONE


async def test_the_fallback_grants_nothing_until_the_outage_outlasts_a_lease(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock
) -> None:
    primary.down = True
    held = await lock.acquire("boise", 5.0)  # a lease the primary granted may still run
    assert held == Held(ttl_s=RECHECK_S)  # ask again soon: the primary may be back by then
    clock.advance(4.999)  # just inside: the primary's leases may not all have lapsed
    assert isinstance(await lock.acquire("boise", 5.0), Held)
    clock.advance(0.001)  # one lease after the outage began: the fallback takes over
    await lease_of(lock, "boise")
    assert isinstance(await fallback.acquire("boise", 5.0), Held)


async def test_a_short_outage_grants_nothing_and_the_next_one_waits_anew(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock
) -> None:
    primary.down = True
    await _outage_of(lock, clock, 3.0)
    primary.down = False
    await lease_of(lock, "boise")  # the primary is back before any fallback lease
    primary.down = True
    clock.advance(3.0)  # six seconds since the first outage began, none in this one
    assert await lock.acquire("san jose", 5.0) == Held(ttl_s=RECHECK_S)
    clock.advance(5.0)
    await lease_of(lock, "san jose")
    assert isinstance(await fallback.acquire("san jose", 5.0), Held)


async def test_the_fallback_also_waits_out_the_breakers_cooldown(
    primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock
) -> None:
    lock = FallbackLock(primary, fallback, clock=clock, breaker_reset_s=1.0)
    primary.down = True
    assert await lock.acquire("boise", 5.0) == Held(ttl_s=RECHECK_S)
    clock.advance(5.999)  # the primary may be back, its breaker not yet: nothing granted
    assert isinstance(await lock.acquire("boise", 5.0), Held)
    clock.advance(0.001)
    await lease_of(lock, "boise")


async def test_its_held_names_no_holder_so_it_is_never_longer_than_a_recheck(
    lock: FallbackLock, primary: SwitchableLock, clock: FakeClock
) -> None:
    primary.down = True
    assert await lock.acquire("boise", 5.0) == Held(ttl_s=RECHECK_S)
    clock.advance(5.0 - RECHECK_S)  # just inside the last recheck: what is left of the wait
    assert await lock.acquire("boise", 5.0) == Held(ttl_s=RECHECK_S)
    clock.advance(RECHECK_S / 2)
    assert await lock.acquire("boise", 5.0) == Held(ttl_s=pytest.approx(RECHECK_S / 2))


async def test_the_recheck_after_the_primary_came_back_takes_the_primarys_lease(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock, clock: FakeClock
) -> None:
    primary.down = True
    held = await lock.acquire("boise", 5.0)
    assert isinstance(held, Held)
    primary.down = False
    clock.advance(held.ttl_s)  # long before the fallback could grant
    await lease_of(lock, "boise")
    assert isinstance(await primary.acquire("boise", 5.0), Held)
    await lease_of(fallback, "boise")  # the fallback was never used
