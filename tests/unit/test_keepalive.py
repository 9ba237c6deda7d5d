"""keep_alive: every third of the TTL, and soon again after the lock backend failed."""

from __future__ import annotations

import asyncio

from domain.model.errors import CacheUnavailable
from domain.use_cases.keepalive import REASSERT_S, keep_alive
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
