"""Counted in-process, flushed on a timer: the one lifecycle every such tally shares."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass

from adapters.tasks import cancel_and_wait
from ports.clock import Clock

log = logging.getLogger("skycache.flushes")


@dataclass(frozen=True, slots=True)
class _Tally:
    name: str  # for the log, when its flush fails
    flush: Callable[[], object]  # sends what was counted; may be a coroutine function
    every_s: float


class Flushes:
    """Every tally of one process, each flushed on its own period by one owner.

    Rules:
    - a tally registers its flush and period; none keeps a timer or task of its own;
    - between open() and close(), each flush runs every period on the clock;
    - a flush that raises is logged and runs again at its next tick (a tally keeps what it
      could not send), so one failure never stops the timer;
    - close() stops the timers, then runs every flush once more, in the order registered:
      what is still pending at shutdown is flushed, not dropped.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tallies: list[_Tally] = []
        self._timers: list[asyncio.Task[None]] = []
        self._open = False

    def register(self, name: str, flush: Callable[[], object], *, every_s: float) -> None:
        tally = _Tally(name, flush, every_s)
        self._tallies.append(tally)
        if self._open:
            self._start(tally)

    def open(self) -> None:
        """Starts every timer: call it with the event loop running."""
        if not self._open:
            self._open = True
            for tally in self._tallies:
                self._start(tally)

    async def close(self) -> None:
        self._open = False
        timers, self._timers = self._timers, []
        for timer in timers:
            await cancel_and_wait(timer)
        for tally in self._tallies:
            await _run(tally)

    def _start(self, tally: _Tally) -> None:
        self._timers.append(asyncio.create_task(self._every(tally)))

    async def _every(self, tally: _Tally) -> None:
        while True:
            await self._clock.sleep(tally.every_s)
            await _run(tally)


async def _run(tally: _Tally) -> None:
    try:
        done = tally.flush()
        if inspect.isawaitable(done):
            await done
    except Exception as error:
        # The type only: a driver's message may carry a URL with its password.
        log.warning("could not flush %s (%s)", tally.name, type(error).__name__)
