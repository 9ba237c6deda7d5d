"""Metrics port: cheap local counting, totals summed over every worker sharing the backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.outcome import Counter


class Metrics(Protocol):
    def incr(self, counter: Counter, amount: int = 1) -> None:
        """Count locally; must never do I/O on the request path."""
        ...

    async def totals(self) -> Mapping[Counter, int]: ...

    async def flush(self) -> None: ...
