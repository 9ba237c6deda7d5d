"""Metrics port: cheap local counting, totals summed over every worker sharing the backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.model.counters import CounterName


class Metrics(Protocol):
    def incr(self, counter: CounterName, amount: int = 1) -> None:
        """Count locally; must never do I/O on the request path."""
        ...

    def incr_labelled(self, counter: CounterName, label: str, amount: int = 1) -> None:
        """Count `counter` for one label (a provider's name), apart from its plain total;
        like incr(), never does I/O."""
        ...

    async def totals(self) -> Mapping[CounterName, int]: ...

    async def labelled_totals(self, counter: CounterName) -> Mapping[str, int]:
        """Each label's total of `counter`, summed like totals()."""
        ...

    async def flush(self) -> None: ...
