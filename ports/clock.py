"""Clock port, so the domain and the in-process adapters never read the time themselves."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch; shared-cache timestamps must agree across hosts."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never set back: for durations within a process."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` on this clock (a fake clock waits until a test advances it)."""
        ...
