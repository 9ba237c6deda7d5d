"""In-process counters, for a single process without Redis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from domain.model.counters import CounterName
from ports.metrics import Metrics


class MemoryMetrics(Metrics):
    def __init__(self) -> None:
        self._counts: Counter[CounterName] = Counter()
        self._labelled: dict[CounterName, Counter[str]] = {}

    def incr(self, counter: CounterName, amount: int = 1) -> None:
        self._counts[counter] += amount

    def incr_labelled(self, counter: CounterName, label: str, amount: int = 1) -> None:
        self._labelled.setdefault(counter, Counter())[label] += amount

    async def totals(self) -> Mapping[CounterName, int]:
        return dict(self._counts)

    async def labelled_totals(self, counter: CounterName) -> Mapping[str, int]:
        return dict(self._labelled.get(counter, {}))

    async def flush(self) -> None:
        return None
