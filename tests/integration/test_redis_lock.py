"""RedisLock against a real Redis, with two clients standing in for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.redis.client import create_redis_client
from adapters.redis.lock import RedisLock
from domain.model.errors import CacheUnavailable
from ports.lock import Held, Signal
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def two_processes(redis_client: Redis, redis_url: str) -> AsyncIterator[list[RedisLock]]:
    """Two RedisLocks on two separate clients (pools), as two worker processes would have."""
    other = create_redis_client(redis_url, timeout_s=2.0, connect_timeout_s=2.0)
    locks = [RedisLock(redis_client), RedisLock(other)]
    yield locks
    for lock in locks:
        await lock.aclose()
    await other.aclose()


async def test_of_fifty_concurrent_acquirers_exactly_one_wins(
    two_processes: list[RedisLock],
) -> None:
    attempts = await asyncio.gather(
        *(two_processes[i % 2].acquire("san jose", 5.0) for i in range(50))
    )
    leases = [a for a in attempts if not isinstance(a, Held)]
    assert len(leases) == 1
    assert all(a.ttl_s > 0 for a in attempts if isinstance(a, Held))


async def test_a_waiter_in_another_process_is_woken_on_release(
    two_processes: list[RedisLock],
) -> None:
    holder, waiter = two_processes
    lease = await holder.acquire("san jose", 5.0)
    assert not isinstance(lease, Held)
    watch = waiter.watch("san jose")
    try:
        assert isinstance(await waiter.acquire("san jose", 5.0), Held)
        wait = asyncio.create_task(watch.wait(5.0))
        await asyncio.sleep(0.05)
        await lease.release(Signal.DONE)
        # Woken by the message: a wait that ran out its 5 s would answer TIMEOUT.
        assert await wait is Signal.DONE
    finally:
        watch.close()


async def test_an_extended_lease_outlives_its_first_ttl(two_processes: list[RedisLock]) -> None:
    holder, other = two_processes
    lease = await holder.acquire("san jose", 0.3)
    assert not isinstance(lease, Held)
    for _ in range(3):
        await asyncio.sleep(0.15)
        assert await lease.extend() is True
    # 0.45 s in: well past the first 0.3 s, and still held for the other process.
    held = await other.acquire("san jose", 5.0)
    assert isinstance(held, Held) and held.ttl_s <= 0.3


async def test_a_dropped_subscription_wakes_watchers_and_comes_back(
    redis_client: Redis, two_processes: list[RedisLock]
) -> None:
    holder, waiter = two_processes
    await waiter.start()
    watch = waiter.watch("san jose")
    try:
        await redis_client.client_kill_filter(_type="pubsub")
        # Releases during the gap went unheard, so the watcher is told to re-check.
        assert await watch.wait(3.0) is Signal.TIMEOUT
        lease = await holder.acquire("san jose", 5.0)
        assert not isinstance(lease, Held)
        await lease.release(Signal.FAILED)
        assert await watch.wait(3.0) is Signal.FAILED
    finally:
        watch.close()


async def test_a_down_redis_raises_cache_unavailable_on_the_refusal() -> None:
    client = create_redis_client(f"redis://127.0.0.1:{free_port()}/0")
    lock = RedisLock(client)
    try:
        watch = lock.watch("san jose")  # local only: never fails
        with pytest.raises(CacheUnavailable) as raised:
            await lock.acquire("san jose", 5.0)
        # The refused connection itself, not a timeout waited out after it.
        assert "ConnectionError" in str(raised.value)
        watch.close()
    finally:
        await lock.aclose()
        await client.aclose()
