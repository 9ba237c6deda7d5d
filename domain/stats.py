"""Stats: the counters behind GET /stats, with the derived hit ratio."""

from __future__ import annotations

from collections.abc import Mapping

from domain.outcome import Counter
from ports.metrics import Metrics

# Counted per provider too: every call each one was sent (retries and failover attempts
# included) and every one that failed, so calls minus errors is what each one answered.
BY_PROVIDER = (Counter.API_CALLS, Counter.UPSTREAM_ERRORS)

Report = dict[str, float | int | dict[str, int] | None]


class GetStats:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self) -> Report:
        totals = await self._metrics.totals()
        report: Report = {c.value: totals.get(c, 0) for c in Counter}
        report["hit_ratio"] = hit_ratio(totals)
        for counter in BY_PROVIDER:
            by_provider = await self._metrics.labelled_totals(counter)
            report[f"{counter.value}_by_provider"] = dict(sorted(by_provider.items()))
        return report


def hit_ratio(totals: Mapping[Counter, int]) -> float | None:
    hits = totals.get(Counter.CACHE_HITS, 0)
    served = hits + totals.get(Counter.CACHE_MISSES, 0)
    return round(hits / served, 4) if served else None
