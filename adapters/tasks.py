"""Stopping background tasks (timers, wake-up readers, feeds, pool upkeep)."""

from __future__ import annotations

import asyncio
import contextlib

# How long a cancelled task has to end before it is cancelled again.
RECANCEL_S = 0.05


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel `task`, if any, and wait until it has ended: nothing of it runs afterwards.

    Cancelled again until it ends: on Python 3.11 a cancellation that lands as a command's
    I/O completes is swallowed by asyncio.wait_for (redis-py sends each command through it
    when it has a socket timeout), and a loop that lost its one cancellation would run on,
    with this waiting for it for ever."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_S)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()
