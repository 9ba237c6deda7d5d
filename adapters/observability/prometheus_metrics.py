"""The Metrics tee (domain counters into Prometheus too), and the batching that keeps it cheap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from domain.model.counters import CounterName
from ports.metrics import Metrics


class Batch:
    """Prometheus increments summed in-process, written when flush() runs (adapters/flushes.py
    runs it on a timer; a scrape runs it first).

    In multiprocess mode every inc() is a locked mmap write, about what a whole near-cache
    hit costs (docs/BENCHMARKS.md, "What keeps a hit cheap"): hot counters are summed first.
    """

    def __init__(self) -> None:
        # prometheus counter (or labelled child) -> amount; float, as inc() takes any amount
        self._pending: defaultdict[Any, float] = defaultdict(float)

    def add(self, counter: Any, amount: float = 1) -> None:
        self._pending[counter] += amount

    def flush(self) -> None:
        pending, self._pending = self._pending, defaultdict(float)
        for counter, amount in pending.items():
            counter.inc(amount)


class PrometheusMetrics(Metrics):
    """A tee: the wrapped Metrics keeps serving /stats; Prometheus counts the same events."""

    def __init__(
        self,
        inner: Metrics,
        counters: Mapping[CounterName, Any],
        batch: Batch,
        by_label: Mapping[CounterName, Any] | None = None,
    ) -> None:
        self._inner = inner
        self._counters = counters
        self._batch = batch
        self._by_label = by_label or {}  # counter -> prometheus counter with one label

    def incr(self, counter: CounterName, amount: int = 1) -> None:
        self._inner.incr(counter, amount)
        self._batch.add(self._counters[counter], amount)

    def incr_labelled(self, counter: CounterName, label: str, amount: int = 1) -> None:
        self._inner.incr_labelled(counter, label, amount)
        labelled = self._by_label.get(counter)
        if labelled is not None:
            self._batch.add(labelled.labels(label), amount)

    async def totals(self) -> Mapping[CounterName, int]:
        return await self._inner.totals()

    async def labelled_totals(self, counter: CounterName) -> Mapping[str, int]:
        return await self._inner.labelled_totals(counter)

    async def flush(self) -> None:
        self._batch.flush()
        await self._inner.flush()
