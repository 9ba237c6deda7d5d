"""FallbackLock: the Redis lock while it answers, the host lock while it does not."""

from __future__ import annotations

import pytest

from adapters.memory.lock import MemoryLock
from adapters.resilience.fallback_lock import FallbackLock
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
def lock(primary: SwitchableLock, fallback: MemoryLock) -> FallbackLock:
    return FallbackLock(primary, fallback)


async def test_while_the_primary_answers_the_fallback_is_left_alone(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock
) -> None:
    await lease_of(lock, "boise")
    assert isinstance(await primary.acquire("boise", 5.0), Held)
    await lease_of(fallback, "boise")  # never taken through the FallbackLock


async def test_while_the_primary_is_down_the_fallback_grants_the_leases(
    lock: FallbackLock, primary: SwitchableLock, fallback: MemoryLock
) -> None:
    primary.down = True
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
    lock: FallbackLock, primary: SwitchableLock
) -> None:
    primary.down = True
    assert await heard(lock, lock, "boise", Signal.DONE) is Signal.DONE
