"""The real clock."""

from __future__ import annotations

import asyncio
import time

from ports.clock import Clock


class SystemClock(Clock):
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        # The event loop's own clock (asyncio's default loop.time() is time.monotonic).
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
