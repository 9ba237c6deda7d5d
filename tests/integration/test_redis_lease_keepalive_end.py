"""A holder's keep-alive ends with its fetch, on a real Redis: no lease outlives its release.

The soak's lost answers of 2026-12-06 (docs/TIMING.md, "The lease"): a cancellation that
landed as an extend's reply arrived was swallowed (asyncio.wait_for on Python 3.11), the
keep-alive went on, and its extend set the released lease again, for as long as the
process lived."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.lease import BoundLease
from adapters.redis.client import create_redis_client
from adapters.redis.keys import lease_key
from adapters.redis.lock import RedisLock
from adapters.system_clock import SystemClock
from domain.use_cases.stampede import Role, StampedeGuard
from ports.lock import Held, Lease, Lock, Watch
from tests.support.locks import lease_of
from tests.support.redis_server import LocalRedisServer

pytestmark = pytest.mark.integration

TTL_S = 0.3  # an extend every 0.1 s


class _ExtendsThroughWaitFor(Lock):
    """The Redis lock with each extend run through asyncio.wait_for, as redis-py sends a
    command when it has a socket timeout; `extended` is set as an extend's reply arrives,
    which is the step in which the holder's fetch below ends."""

    def __init__(self, lock: RedisLock) -> None:
        self._lock = lock
        self.extended = asyncio.Event()

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        attempt = await self._lock.acquire(key, ttl_s)
        if isinstance(attempt, Held):
            return attempt
        extend = functools.partial(self._extend, attempt)
        return BoundLease(extend=extend, release=attempt.release, fence=attempt.fence)

    async def _extend(self, lease: Lease) -> bool:
        return await asyncio.wait_for(self._extended(lease), 5.0)

    async def _extended(self, lease: Lease) -> bool:
        kept = await lease.extend()
        self.extended.set()
        return kept

    def watch(self, key: str) -> Watch:
        return self._lock.watch(key)


@pytest.fixture
async def lock(own_redis_server: LocalRedisServer) -> AsyncIterator[RedisLock]:
    """Every acquire draws a new token: the same lock stands for the other processes."""
    client = create_redis_client(own_redis_server.url, timeout_s=2.0)
    redis_lock = RedisLock(client)
    yield redis_lock
    await redis_lock.aclose()
    await client.aclose()


async def _nothing_cached() -> str | None:
    return None


async def test_a_fetch_ending_as_its_lease_is_extended_leaves_no_lease_behind(
    lock: RedisLock,
) -> None:
    holder, other = _ExtendsThroughWaitFor(lock), lock
    guard: StampedeGuard[str] = StampedeGuard(
        holder, clock=SystemClock(), lock_ttl_s=TTL_S, wait_timeout_s=5.0
    )

    async def load(_fence: int | None) -> str:
        # Just inside: while the fetch runs, its lease is kept and held for everyone else.
        assert isinstance(await other.acquire("baltimore", TTL_S), Held)
        holder.extended.clear()
        await holder.extended.wait()  # no wait_for here: it would add a step
        return "answer"  # in the step the extend's reply arrived

    async with asyncio.timeout(5.0):
        assert await guard.run("baltimore", load, _nothing_cached) == ("answer", Role.OWNER)
    # Just outside: released, and still free three TTLs on (10 extends' worth), when an
    # extend after the release would have set it again for the holder that left.
    await asyncio.sleep(3 * TTL_S)
    await lease_of(other, "baltimore", TTL_S)


async def test_holders_ending_at_any_moment_of_real_extends_leave_no_lease_behind(
    lock: RedisLock, own_redis_server: LocalRedisServer
) -> None:
    """The same through redis-py's own sends, not a stand-in: 200 fetches of 0-50 ms,
    each lease extended every 10 ms. With a cancel alone, about one in six keep-alives
    outlived its fetch here, each holding its key for as long as the process lived."""
    guard: StampedeGuard[str] = StampedeGuard(lock, clock=SystemClock(), lock_ttl_s=0.03)
    rng = random.Random(25)

    async def fetch(key: str) -> None:
        async def load(_fence: int | None) -> str:
            await asyncio.sleep(rng.uniform(0, 0.05))
            return "answer"

        assert await guard.run(key, load, _nothing_cached) == ("answer", Role.OWNER)

    async with asyncio.timeout(20.0):
        for batch in range(4):
            await asyncio.gather(*(fetch(f"city {batch} {i}") for i in range(50)))
    await asyncio.sleep(0.2)  # twenty extends' worth
    left = Redis.from_url(own_redis_server.url)
    try:
        assert [key async for key in left.scan_iter(match=lease_key("city *"))] == []
    finally:
        await left.aclose()
