"""Clock port, so the domain never reads the time itself."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch; shared-cache timestamps must agree across hosts."""
        ...
