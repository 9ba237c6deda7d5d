"""Stats: the counters behind GET /stats, with the derived hit ratio."""

from __future__ import annotations

from collections.abc import Mapping

from domain.outcome import Counter
from ports.metrics import Metrics


class GetStats:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self) -> dict[str, float | int | None]:
        totals = await self._metrics.totals()
        report: dict[str, float | int | None] = {c.value: totals.get(c, 0) for c in Counter}
        report["hit_ratio"] = hit_ratio(totals)
        return report


def hit_ratio(totals: Mapping[Counter, int]) -> float | None:
    hits = totals.get(Counter.CACHE_HITS, 0)
    served = hits + totals.get(Counter.CACHE_MISSES, 0)
    return round(hits / served, 4) if served else None
