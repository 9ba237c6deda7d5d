"""Leases across a Redis restarted empty, and the fence each lease carries, on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.memory.lock import MemoryLock
from adapters.redis.client import create_redis_client
from adapters.redis.lock import RedisLock
from adapters.resilience.fallback_lock import FallbackLock
from adapters.system_clock import SystemClock
from domain.model.deadlines import Deadlines
from domain.use_cases.stampede import Role, StampedeGuard
from ports.lock import Held, Signal
from tests.support.locks import lease_of
from tests.support.redis_server import LocalRedisServer

pytestmark = pytest.mark.integration

QUIET_S = 0.5


@pytest.fixture
async def two_processes(own_redis_server: LocalRedisServer) -> AsyncIterator[list[RedisLock]]:
    """Two RedisLocks on two pools, as two instances would have, on a server we can kill."""
    clients = [create_redis_client(own_redis_server.url, timeout_s=2.0) for _ in range(2)]
    locks = [RedisLock(client, restart_quiet_s=QUIET_S) for client in clients]
    yield locks
    for lock in locks:
        await lock.aclose()
    for client in clients:
        await client.aclose()


async def _nothing_cached() -> str | None:
    return None


async def _restart_empty(server: LocalRedisServer) -> None:
    await asyncio.to_thread(server.kill)
    await asyncio.to_thread(server.start)  # no persistence: every lease is gone


async def test_a_holder_re_asserts_its_lease_after_a_restart_before_anyone_takes_it(
    two_processes: list[RedisLock], own_redis_server: LocalRedisServer
) -> None:
    holder, other = two_processes
    lease = await lease_of(holder, "boise")
    await lease_of(other, "san jose")  # each process has seen the dataset
    await _restart_empty(own_redis_server)
    # Just inside the quiet period: nobody who saw the old dataset takes a new lease,
    # for this key or any other, even before the holder has re-asserted.
    held = await other.acquire("boise", 5.0)
    assert isinstance(held, Held) and 0 < held.ttl_s <= QUIET_S
    assert isinstance(await other.acquire("seattle", 5.0), Held)
    assert await lease.extend() is True  # set again for its holder
    await asyncio.sleep(QUIET_S + 0.05)
    # Just outside: new leases are granted again, and the re-asserted one stands.
    assert isinstance(await other.acquire("boise", 5.0), Held)
    await lease_of(other, "seattle")


async def test_a_process_that_never_saw_the_old_dataset_takes_leases_at_once(
    own_redis_server: LocalRedisServer,
) -> None:
    client = create_redis_client(own_redis_server.url, timeout_s=2.0)
    lock = RedisLock(client, restart_quiet_s=QUIET_S)
    try:
        await lease_of(lock, "boise")  # a first start is not a restart
    finally:
        await lock.aclose()
        await client.aclose()


async def test_an_extend_sets_a_lapsed_lease_again_unless_another_took_it(
    two_processes: list[RedisLock],
) -> None:
    first, second = two_processes
    lapsed = await lease_of(first, "boise", ttl_s=0.05)
    await asyncio.sleep(0.1)  # nobody took it meanwhile: its holder is still fetching
    assert await lapsed.extend() is True
    assert isinstance(await second.acquire("boise", 5.0), Held)
    taken_over = await lease_of(first, "seattle", ttl_s=0.05)
    await asyncio.sleep(0.1)
    taken = await lease_of(second, "seattle")
    assert await taken_over.extend() is False
    assert await taken.extend() is True


async def test_a_lease_is_fenced_by_redis_clock_and_later_leases_by_later_times(
    two_processes: list[RedisLock], own_redis_server: LocalRedisServer
) -> None:
    first, second = two_processes
    async with Redis(port=own_redis_server.port) as redis:
        before_s, before_us = await redis.time()
        one = await lease_of(first, "boise")
        await one.release(Signal.DONE)
        two = await lease_of(second, "boise")
    assert one.fence is not None and two.fence is not None
    assert before_s * 1000 + before_us // 1000 <= one.fence <= two.fence


async def test_the_waiters_of_a_holder_killed_right_after_a_restart_are_answered(
    two_processes: list[RedisLock], own_redis_server: LocalRedisServer
) -> None:
    """The soak's settings (LOCK_TTL=2, UPSTREAM_TIMEOUT=1): the waiter, on the lock a
    worker has (Redis, else its host's), waits out the restart and the quiet period, then
    fetches in the dead holder's place."""
    deadlines = Deadlines(request_s=1.0, lease_s=2.0)
    dead, waiting = two_processes
    await lease_of(dead, "boise", ttl_s=deadlines.lease_s)  # never extended, never released
    await lease_of(waiting, "san jose")  # this process saw the old dataset
    clock = SystemClock()
    lock = FallbackLock(waiting, MemoryLock(clock=clock), clock=clock, breaker_reset_s=1.0)
    guard = StampedeGuard[str](
        lock, clock=clock, lock_ttl_s=deadlines.lease_s, wait_timeout_s=deadlines.waiter_s
    )
    fetched: list[str] = []

    async def fetch(_fence: int | None) -> str:
        fetched.append("boise")
        return "answer"

    waiter = asyncio.create_task(guard.run("boise", fetch, _nothing_cached))
    await asyncio.sleep(0.1)  # held by the holder about to die
    await _restart_empty(own_redis_server)
    async with asyncio.timeout(deadlines.waiter_s + 5):
        assert await waiter == ("answer", Role.OWNER)
    assert fetched == ["boise"]
