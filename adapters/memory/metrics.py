"""In-process counters, for a single process without Redis."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping

from domain.model.outcome import Counter
from ports.metrics import Metrics


class MemoryMetrics(Metrics):
    def __init__(self) -> None:
        self._counts: Tally[Counter] = Tally()
        self._labelled: dict[Counter, Tally[str]] = {}

    def incr(self, counter: Counter, amount: int = 1) -> None:
        self._counts[counter] += amount

    def incr_labelled(self, counter: Counter, label: str, amount: int = 1) -> None:
        self._labelled.setdefault(counter, Tally())[label] += amount

    async def totals(self) -> Mapping[Counter, int]:
        return dict(self._counts)

    async def labelled_totals(self, counter: Counter) -> Mapping[str, int]:
        return dict(self._labelled.get(counter, {}))

    async def flush(self) -> None:
        return None
