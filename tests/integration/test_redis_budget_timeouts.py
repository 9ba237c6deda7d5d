"""A client's miss budget across two workers when one worker's Redis call times out.

A worker whose budget call times out decides alone, against its share. A worker that Redis
has just refused must not then admit, alone, what the shared window has no room for: the
flood of one client's invented names otherwise overshot its limit each time a refused
worker's call timed out under CPU load (tests/e2e/test_upstream_budget.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.redis.budget import RedisWindows
from adapters.redis.shared_budget import ClientMissBudget, SharedWindows
from domain.model.admission import BudgetLimit
from domain.model.errors import TooManyMisses
from tests.support.redis_server import client_on
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

LIMIT = BudgetLimit(30, 60.0, "minute")
CLIENT = "127.0.0.1"


def worker(client: Redis, clock: FakeClock) -> ClientMissBudget:
    """One of two workers, as ClientMissBudget is wired (no settling by shares)."""
    redis = RedisWindows(client, probe_every_s=600, prefix="test:misses:", settle=False)
    return ClientMissBudget(LIMIT, SharedWindows(shares=2, redis=redis), clock)


async def takes(budget: ClientMissBudget, tries: int) -> int:
    granted = 0
    for _ in range(tries):
        try:
            await budget.take(CLIENT)
        except TooManyMisses:
            continue
        granted += 1
    return granted


@pytest.fixture
async def impatient(redis_url: str) -> AsyncIterator[Redis]:
    """A client whose replies time out while the server is paused."""
    async with client_on(redis_url) as client:
        client.connection_pool.connection_kwargs["socket_timeout"] = 0.05
        yield client


@contextlib.asynccontextmanager
async def paused(redis_client: Redis) -> AsyncIterator[None]:
    """The server runs no script (nor any write) until unpaused, for at most 5 s."""
    await redis_client.execute_command("CLIENT", "PAUSE", 5000, "WRITE")
    try:
        yield
    finally:
        await redis_client.execute_command("CLIENT", "UNPAUSE")


async def test_thirty_a_minute_across_two_workers_is_thirty_the_31st_refused(
    redis_client: Redis,
) -> None:
    clock = FakeClock()
    first, second = worker(redis_client, clock), worker(redis_client, clock)
    assert await takes(first, 20) == 20
    assert await takes(second, 10) == 10  # the 30th, just inside
    assert await takes(second, 1) + await takes(first, 1) == 0  # the 31st, on either
    clock.advance(LIMIT.period_s + LIMIT.period_s / 60)  # the whole window has passed
    assert await takes(second, 31) == 30


async def test_a_worker_redis_refused_refuses_alone_when_its_next_call_times_out(
    redis_client: Redis, impatient: Redis
) -> None:
    clock = FakeClock()
    first, second = worker(redis_client, clock), worker(impatient, clock)
    assert await takes(first, 30) == 30
    assert await takes(second, 1) == 0  # Redis: the window is full
    clock.advance(1.0)
    async with paused(redis_client):
        # Its replies time out now: alone, it still has its whole share (15) unspent, yet
        # the shared window it was just refused by has no room: refused, as Redis would be.
        assert await takes(second, 5) == 0
        # Until the wait Redis gave has passed (the first bucket's end, plus the minute):
        # just inside it, still refused; at its end, the worker's share is its own again.
        clock.advance(LIMIT.period_s - 0.5)
        assert await takes(second, 1) == 0
        clock.advance(0.5)
        assert await takes(second, 1) == 1


async def test_a_worker_that_was_never_refused_may_spend_its_share_alone(
    redis_client: Redis, impatient: Redis
) -> None:
    """The degraded-mode bound (docs/OPERATIONS.md): a worker counting alone knows only its
    own spend; the minute may see the limit plus that worker's share, no more."""
    clock = FakeClock()
    first, second = worker(redis_client, clock), worker(impatient, clock)
    assert await takes(first, 30) == 30
    async with paused(redis_client):
        # Each timed-out call may have been counted in Redis, so it is counted here too:
        # the share of 15 admits 7 of 16 timed-out asks (the 8th would be its 16th), and
        # the minute sees 37 fetches, the limit plus less than that worker's share.
        assert await takes(second, 16) == 7
        assert await takes(second, 1) == 0
