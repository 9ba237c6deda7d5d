"""Stopping a background task: it ends, even when it swallowed a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from adapters.tasks import cancel_and_wait


async def _loop(turns: list[int], swallow: int) -> None:
    """Loops until cancelled, taking the first `swallow` cancellations as Python 3.11's
    asyncio.wait_for can when one lands as the awaited I/O completes."""
    while True:
        try:
            await asyncio.sleep(0.001)
        except asyncio.CancelledError:
            if swallow == 0:
                raise
            swallow -= 1
        turns.append(1)


@pytest.mark.parametrize("swallowed", [0, 1, 3])
async def test_a_task_ends_and_runs_no_more_however_many_cancellations_it_swallowed(
    swallowed: int,
) -> None:
    turns: list[int] = []
    task = asyncio.create_task(_loop(turns, swallowed))
    await asyncio.sleep(0.01)
    await cancel_and_wait(task)
    assert task.cancelled()
    ended_at = len(turns)
    await asyncio.sleep(0.02)
    assert len(turns) == ended_at


async def test_an_error_the_task_ended_with_is_raised_to_the_stopper() -> None:
    async def fails() -> None:
        raise RuntimeError("broken")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broken"):
        await cancel_and_wait(task)


async def test_no_task_is_nothing_to_stop() -> None:
    await cancel_and_wait(None)
