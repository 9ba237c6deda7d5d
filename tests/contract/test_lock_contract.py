"""The Lock contract, held by the in-memory, the host (lease files) and the Redis adapter
(on Redis, a Redis Cluster, Sentinel and Valkey), and by the tracing decorator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.host.lock import HostLock
from adapters.memory.lock import MemoryLock
from adapters.observability.traced_lock import TracedLock
from adapters.redis.lock import RedisLock
from adapters.redis.topology import RedisClient
from adapters.system_clock import SystemClock
from ports.lock import Held, Lock, Signal
from tests.contract.elapse import Elapse
from tests.contract.servers import REDIS_CLIENTS, REDIS_SERVERS
from tests.support.locks import lease_of
from tests.support.spans import Spans
from tests.unit.fakes import FakeClock


@pytest.fixture(params=["memory", "host", "traced", *REDIS_SERVERS])
def backend(request: pytest.FixtureRequest) -> str | RedisClient:
    """ "memory", "host", "traced" (TracedLock over an in-memory lock), or a client on the
    Redis server the param names."""
    if request.param in ("memory", "host", "traced"):
        return str(request.param)
    client: RedisClient = request.getfixturevalue(REDIS_CLIENTS[request.param])
    return client


@pytest.fixture
async def lock(backend: str | RedisClient, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Lock]:
    """The host lock runs on the real clock, as Redis does: its expiries are shared with
    other processes, so `elapse` sleeps for it."""
    if backend == "memory":
        yield MemoryLock(clock=clock)
        return
    if backend == "host":
        yield HostLock(tmp_path / "locks", clock=SystemClock())
        return
    if backend == "traced":
        yield TracedLock(MemoryLock(clock=SystemClock()), Spans().tracer)  # real clock: `elapse`
        return
    assert not isinstance(backend, str)
    lock = RedisLock(backend)
    try:
        yield lock
    finally:
        await lock.aclose()


async def test_only_one_caller_holds_a_key(lock: Lock) -> None:
    await lease_of(lock, "san jose")
    assert isinstance(await lock.acquire("san jose", 5.0), Held)
    await lease_of(lock, "boise")  # other keys are free


async def test_held_says_when_the_lease_lapses(lock: Lock) -> None:
    await lease_of(lock, "san jose", ttl_s=5.0)
    held = await lock.acquire("san jose", 5.0)
    assert isinstance(held, Held)
    assert 4.0 < held.ttl_s <= 5.0


async def test_a_released_key_can_be_taken_again(lock: Lock) -> None:
    lease = await lease_of(lock, "san jose")
    await lease.release(Signal.DONE)
    await lease_of(lock, "san jose")


async def test_a_lapsed_lease_frees_the_key(lock: Lock, elapse: Elapse) -> None:
    await lease_of(lock, "san jose", ttl_s=0.1)
    await elapse(0.2)
    await lease_of(lock, "san jose")


async def test_extend_keeps_the_lease_past_its_ttl(lock: Lock, elapse: Elapse) -> None:
    lease = await lease_of(lock, "san jose", ttl_s=0.3)
    await elapse(0.2)
    assert await lease.extend() is True
    await elapse(0.2)  # 0.4 s after the lease was taken
    assert isinstance(await lock.acquire("san jose", 5.0), Held)


async def test_a_lapsed_lease_cannot_touch_the_next_holders_lock(
    lock: Lock, elapse: Elapse
) -> None:
    stale = await lease_of(lock, "san jose", ttl_s=0.1)
    await elapse(0.2)
    await lease_of(lock, "san jose")
    watch = lock.watch("san jose")
    try:
        assert await stale.extend() is False
        await stale.release(Signal.DONE)
        assert isinstance(await lock.acquire("san jose", 5.0), Held)
        assert await watch.wait(0.1) is Signal.TIMEOUT  # and nobody was told it was done
    finally:
        watch.close()


@pytest.mark.parametrize("signal", [Signal.DONE, Signal.FAILED])
async def test_release_tells_the_watchers_how_it_went(lock: Lock, signal: Signal) -> None:
    watches = [lock.watch("san jose"), lock.watch("san jose")]
    other = lock.watch("boise")
    try:
        lease = await lease_of(lock, "san jose")
        assert isinstance(await lock.acquire("san jose", 5.0), Held)
        await lease.release(signal)
        for watch in watches:
            assert await watch.wait(2.0) is signal
        assert await other.wait(0.05) is Signal.TIMEOUT
    finally:
        for watch in [*watches, other]:
            watch.close()


async def test_a_watch_with_no_news_times_out(lock: Lock) -> None:
    await lease_of(lock, "san jose")
    watch = lock.watch("san jose")
    try:
        started = asyncio.get_running_loop().time()
        assert await watch.wait(0.1) is Signal.TIMEOUT
        assert asyncio.get_running_loop().time() - started >= 0.09
    finally:
        watch.close()


async def test_a_closed_watch_hears_nothing_more(lock: Lock) -> None:
    watch = lock.watch("san jose")
    watch.close()
    lease = await lease_of(lock, "san jose")
    await lease.release(Signal.DONE)
    assert await watch.wait(0.05) is Signal.TIMEOUT
