"""Flushes: every tally flushed on its period by one owner, and once more at shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.flushes import Flushes
from tests.unit.fakes import FakeClock


class Tally:
    """Counts in memory; flush() moves them to `sent`, as a real tally sends them."""

    def __init__(self) -> None:
        self.pending = 0
        self.sent: list[int] = []

    def flush(self) -> None:
        if self.pending:
            self.sent.append(self.pending)
            self.pending = 0

    async def flush_async(self) -> None:
        await asyncio.sleep(0)
        self.flush()


async def settle() -> None:
    for _ in range(5):  # a timer task starts waiting, or wakes and runs its flush
        await asyncio.sleep(0)


async def test_each_flush_runs_on_its_own_period_of_the_clock(clock: FakeClock) -> None:
    fast, slow = Tally(), Tally()
    flushes = Flushes(clock)
    flushes.register("fast", fast.flush, every_s=1.0)
    flushes.register("slow", slow.flush_async, every_s=3.0)
    flushes.open()
    await settle()
    try:
        fast.pending = slow.pending = 2
        clock.advance(0.9)
        await settle()
        assert (fast.sent, slow.sent) == ([], [])  # just inside the first period
        clock.advance(0.1)
        await settle()
        assert (fast.sent, slow.sent) == ([2], [])
        fast.pending = 1
        for _ in range(2):
            clock.advance(1.0)
            await settle()
        assert (fast.sent, slow.sent) == ([2, 1], [2])
    finally:
        await flushes.close()


async def test_a_tally_still_pending_at_close_is_flushed_once(clock: FakeClock) -> None:
    tally = Tally()
    flushes = Flushes(clock)
    flushes.register("tally", tally.flush_async, every_s=60.0)
    flushes.open()
    tally.pending = 5
    await flushes.close()
    assert tally.sent == [5]
    tally.pending = 1
    clock.advance(120.0)
    await settle()
    assert tally.sent == [5]  # closed: no timer runs any more


async def test_a_failing_flush_is_logged_and_its_timer_goes_on(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        raise ConnectionError("redis://:hunter2@cache:6379 did not answer")

    flushes = Flushes(clock)
    flushes.register("stats counters", failing, every_s=1.0)
    flushes.open()
    await settle()
    with caplog.at_level(logging.WARNING, logger="skycache.flushes"):
        for _ in range(2):
            clock.advance(1.0)
            await settle()
        await flushes.close()
    assert len(calls) == 3  # two ticks, then the last flush at close
    assert "could not flush stats counters (ConnectionError)" in caplog.text
    assert "hunter2" not in caplog.text


async def test_a_tally_registered_while_open_gets_its_timer(clock: FakeClock) -> None:
    tally = Tally()
    flushes = Flushes(clock)
    flushes.open()
    flushes.register("late", tally.flush, every_s=1.0)
    await settle()
    tally.pending = 3
    clock.advance(1.0)
    await settle()
    assert tally.sent == [3]
    await flushes.close()
