"""Poll a condition until it holds, failing the test when it does not in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]],
    within_s: float,
    what: str,
    *,
    not_yet: tuple[type[Exception], ...] = (),
) -> float:
    """Seconds until `check()` held (raising one of `not_yet`: not yet); fails after `within_s`."""
    started = time.monotonic()
    while True:
        try:
            if await check():
                return time.monotonic() - started
        except not_yet:
            pass
        assert time.monotonic() - started < within_s, f"{what} not within {within_s} s"
        await asyncio.sleep(0.05)
