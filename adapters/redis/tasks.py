"""Stopping the Redis adapters' background tasks (the wake-up readers)."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel `task`, if any, and wait until it has ended: nothing of it runs afterwards."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
