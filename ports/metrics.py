"""Metrics port: cheap local counting, totals summed over every worker sharing the backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.model.outcome import Counter


class Metrics(Protocol):
    def incr(self, counter: Counter, amount: int = 1) -> None:
        """Count locally; must never do I/O on the request path."""
        ...

    def incr_labelled(self, counter: Counter, label: str, amount: int = 1) -> None:
        """Count `counter` for one label (a provider's name), apart from its plain total;
        like incr(), never does I/O."""
        ...

    async def totals(self) -> Mapping[Counter, int]: ...

    async def labelled_totals(self, counter: Counter) -> Mapping[str, int]:
        """Each label's total of `counter`, summed like totals()."""
        ...

    async def flush(self) -> None: ...
