"""Pooled Redis connections that stood unused a whole idle period are closed, down to the
connections a pool keeps warm; on one node, a real server counting them (CLIENT LIST)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from adapters.redis.client import WARM_CONNECTIONS, create_redis_client, warm_pool
from adapters.redis.idle_connections import close_idle, closing_idle_connections
from adapters.system_clock import SystemClock
from tests.support.connections import BURST, burst, connections_named
from tests.support.waiting import eventually
from tests.unit.fakes import FakeClock

pytestmark = [pytest.mark.integration]

IDLE_S = 0.5


@pytest.fixture
async def named(redis_url: str) -> AsyncIterator[tuple[Redis, str, int]]:
    """A warmed client under its own name, after a burst: BURST connections open."""
    name = f"idle-{uuid.uuid4().hex[:8]}"
    client = create_redis_client(redis_url, timeout_s=5.0, client_name=name)
    assert isinstance(client, Redis)
    await warm_pool(client)
    await burst(client, BURST)
    port = urlsplit(redis_url).port or 6379
    assert connections_named(port, name) == BURST
    yield client, name, port
    await client.aclose()


async def test_connections_free_a_whole_period_close_but_not_80_percent_of_one(
    named: tuple[Redis, str, int],
) -> None:
    client, name, port = named
    clock = FakeClock()
    async with closing_idle_connections(client, idle_s=IDLE_S, clock=clock):
        await asyncio.sleep(0)  # the period's task starts its wait
        clock.advance(0.8 * IDLE_S)
        await asyncio.sleep(0.05)  # the period's task runs, were it due
        assert connections_named(port, name) == BURST
        clock.advance(0.2 * IDLE_S)
        await eventually(lambda: _named(port, name, WARM_CONNECTIONS), 5.0, "back to the floor")
        clock.advance(IDLE_S)  # the floor is never undercut
        await asyncio.sleep(0.05)
        assert connections_named(port, name) == WARM_CONNECTIONS


async def test_connections_used_during_the_period_are_kept(
    named: tuple[Redis, str, int],
) -> None:
    client, name, port = named
    await close_idle(client)  # the period starts
    await burst(client, WARM_CONNECTIONS + 4)  # late in the period: these few were needed
    assert await close_idle(client) == BURST - (WARM_CONNECTIONS + 4)
    assert connections_named(port, name) == WARM_CONNECTIONS + 4
    assert await close_idle(client) == 4  # a period later, unused: the floor again
    assert connections_named(port, name) == WARM_CONNECTIONS


async def test_connections_in_use_are_never_closed(named: tuple[Redis, str, int]) -> None:
    client, name, port = named
    await close_idle(client)
    busy = asyncio.gather(*(burst(client, 1, wait_s=1.0) for _ in range(BURST - 2)))
    await eventually(lambda: _blocked(port, name, BURST - 2), 5.0, "the commands in flight")
    assert await close_idle(client) == 2  # the two free; none of those in flight
    assert connections_named(port, name) == BURST - 2
    await busy  # each answered on its own connection
    assert await close_idle(client) == 0  # they were taken this period
    assert await close_idle(client) == BURST - 2 - WARM_CONNECTIONS


async def test_commands_right_after_a_trim_succeed_and_a_new_burst_opens_new_connections(
    named: tuple[Redis, str, int],
) -> None:
    client, name, port = named
    await close_idle(client)
    assert await close_idle(client) == BURST - WARM_CONNECTIONS
    assert await client.ping()
    await burst(client, BURST)
    assert connections_named(port, name) == BURST


async def test_periods_ending_among_bursts_fail_no_command(
    named: tuple[Redis, str, int],
) -> None:
    client, name, port = named
    closed = []

    async def periods() -> None:
        for _ in range(40):  # each ends while commands take and return connections
            closed.append(await close_idle(client))
            await asyncio.sleep(0.005)

    trimming = asyncio.create_task(periods())
    for size in (BURST, 3, BURST, 1, BURST // 2) * 2:
        await burst(client, size, wait_s=0.02)  # each command answered
    await trimming
    assert len(closed) == 40 and sum(closed) > 0  # some closed between the bursts
    assert WARM_CONNECTIONS <= connections_named(port, name) <= BURST


async def test_the_period_runs_on_the_real_clock_until_the_client_is_served_no_more(
    named: tuple[Redis, str, int],
) -> None:
    client, name, port = named
    async with closing_idle_connections(client, idle_s=IDLE_S, clock=SystemClock()):
        await eventually(lambda: _named(port, name, WARM_CONNECTIONS), 5.0, "back to the floor")
    await burst(client, BURST)
    await asyncio.sleep(3 * IDLE_S)  # the task has stopped: nothing is closed any more
    assert connections_named(port, name) == BURST


async def test_an_idle_period_of_0_closes_nothing(named: tuple[Redis, str, int]) -> None:
    client, name, port = named
    clock = FakeClock()
    async with closing_idle_connections(client, idle_s=0, clock=clock):
        clock.advance(3600)
        await asyncio.sleep(0.05)
        assert connections_named(port, name) == BURST


async def _named(port: int, name: str, expected: int) -> bool:
    return connections_named(port, name) == expected


async def _blocked(port: int, name: str, expected: int) -> bool:
    return connections_named(port, name, blocked=True) == expected
