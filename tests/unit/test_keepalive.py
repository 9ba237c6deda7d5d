"""keep_alive: every third of the TTL, soon again after a failure, and over once stopped."""

from __future__ import annotations

import asyncio
import sys

import pytest

from domain.model.errors import CacheUnavailable
from domain.use_cases.keepalive import REASSERT_S, KeepAlive, keep_alive
from ports.lock import Signal
from tests.unit.fakes import FakeClock

TTL_S = 3.0  # a tick every second


class ScriptedLease:
    """Answers each extend with the next of `answers` (an exception is raised); records
    when, on the fake clock, each extend came."""

    fence = None

    def __init__(self, clock: FakeClock, *answers: bool | Exception) -> None:
        self._clock = clock
        self._answers = list(answers)
        self.extended_at: list[float] = []

    async def extend(self) -> bool:
        self.extended_at.append(self._clock.monotonic())
        answer = self._answers.pop(0) if self._answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def release(self, signal: Signal) -> None:
        pass


async def _advance(clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    for _ in range(5):  # let the woken keep-alive run its extends
        await asyncio.sleep(0)


async def test_a_failed_extend_is_tried_again_after_reassert_s_not_a_whole_tick() -> None:
    clock = FakeClock()
    lease = ScriptedLease(clock, True, CacheUnavailable("redis down"), True)
    task = asyncio.create_task(keep_alive([lease], clock=clock, ttl_s=TTL_S))
    await _advance(clock, 0)
    await _advance(clock, 1.0)
    await _advance(clock, 1.0)
    assert len(lease.extended_at) == 2  # a tick, then a failure at the next
    await _advance(clock, REASSERT_S - 0.001)
    assert len(lease.extended_at) == 2  # just inside the retry's delay: not yet
    await _advance(clock, 0.001)
    assert len(lease.extended_at) == 3  # re-asserted, not at the next tick
    await _advance(clock, 1.0 - 0.001)
    assert len(lease.extended_at) == 3  # then ticks again, every third of the TTL
    await _advance(clock, 0.001)
    assert len(lease.extended_at) == 4
    task.cancel()


async def test_a_lease_another_took_is_no_longer_extended_the_others_are() -> None:
    clock = FakeClock()
    lost, kept = ScriptedLease(clock, False), ScriptedLease(clock)
    task = asyncio.create_task(keep_alive([lost, kept], clock=clock, ttl_s=TTL_S))
    await _advance(clock, 0)
    for _ in range(3):
        await _advance(clock, 1.0)
    assert (len(lost.extended_at), len(kept.extended_at)) == (1, 3)
    task.cancel()


class SwallowingLease(ScriptedLease):
    """Each extend runs through asyncio.wait_for, as redis-py sends a command when it has a
    socket timeout; `on_extended` runs as the extend's I/O completes, in the very step a
    holder's fetch could end. On Python 3.11, a cancellation landing then is swallowed."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.on_extended = lambda: None

    async def extend(self) -> bool:
        return await asyncio.wait_for(self._extended(), 5.0)

    async def _extended(self) -> bool:
        answer = await super().extend()
        self.on_extended()
        return answer


async def test_stopped_as_an_extend_completes_it_ends_and_extends_no_more() -> None:
    """The boundary: the stop lands in the step where an extend's I/O completes."""
    clock = FakeClock()
    lease = SwallowingLease(clock)
    keepalive = KeepAlive([lease], clock=clock, ttl_s=TTL_S)
    stopping: list[asyncio.Task[None]] = []
    lease.on_extended = lambda: stopping.append(asyncio.create_task(keepalive.stop()))
    await _advance(clock, 0)
    await _advance(clock, 1.0)
    assert len(lease.extended_at) == 1 and stopping
    await asyncio.wait_for(stopping[0], 1.0)  # it returned: the task has ended
    for _ in range(3):
        await _advance(clock, 1.0)
    assert len(lease.extended_at) == 1


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for on asyncio.timeout")
async def test_a_cancel_alone_is_swallowed_there_which_is_why_stop_exists() -> None:
    """Just outside: the same moment with only a cancel, and the loop goes on extending
    (Python 3.11's asyncio.wait_for). If this starts failing, the runtime no longer
    swallows it; the flag in KeepAlive stays harmless."""
    clock = FakeClock()
    lease = SwallowingLease(clock)
    task = asyncio.create_task(keep_alive([lease], clock=clock, ttl_s=TTL_S))
    lease.on_extended = lambda: (task.cancel(), None)[1]
    await _advance(clock, 0)
    await _advance(clock, 1.0)
    lease.on_extended = lambda: None
    await _advance(clock, 1.0)
    assert not task.done() and len(lease.extended_at) == 2
    task.cancel()
