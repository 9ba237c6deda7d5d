"""Stats: the counters behind GET /stats, what each one means, and the derived hit ratio."""

from __future__ import annotations

from collections.abc import Mapping

from domain.model.counters import CounterName
from ports.metrics import Metrics

# The one definition of each counter: /metrics HELP text and the /stats schema quote it,
# the README's /stats table says the same. Every request to /weather that gets as far as
# the cache is exactly one hit or one miss.
MEANINGS: Mapping[CounterName, str] = {
    CounterName.CACHE_HITS: "Requests answered from the cache: fresh (HIT), stale (STALE) "
    "or a remembered unknown city (NEGATIVE)",
    CounterName.CACHE_MISSES: "Requests that needed a fetch (MISS or COALESCED), whether it "
    "succeeded, failed or was refused: a 502/503 after a miss is a miss",
    CounterName.API_CALLS: "Upstream fetches that went out, for a miss or a background refresh; "
    "one each, however many retries or failover providers it took. A fetch turned away "
    "before any I/O (breaker open, 429 window, call budget, no free slot) is none",
    CounterName.AVOIDED_API_CALLS: "Requests answered without an upstream fetch of their own: "
    "cache hits plus coalesced misses",
    CounterName.STALE_SERVED: "Requests answered with an expired copy (X-Cache: STALE), from the "
    "cache or, after a failed miss, from the worker's last good copy",
    CounterName.COALESCED: "Misses answered by another request's fetch (X-Cache: COALESCED)",
    CounterName.NEGATIVE_HITS: "Requests answered 404 from a remembered unknown city (NEGATIVE)",
    CounterName.UPSTREAM_ERRORS: "Misses whose fetch failed, was refused or got an unusable answer "
    "(answered 502/503, or from the worker's last good copy), plus failed background refreshes",
    CounterName.CORRUPT_ENTRIES: "Cache entries that could not be decoded and were treated as "
    "misses, and messages on the copies channel that were not copies (dropped)",
    CounterName.API_ATTEMPTS: "Attempts sent to the providers, retries included; a fetch that "
    "failed over made attempts at each provider it reached. Each is one or two HTTP "
    "requests (geocoding, forecast), counted by endpoint in "
    "skycache_upstream_request_duration_seconds",
    CounterName.GATEWAY_HITS: "Open-Meteo gateway locations answered from a fresh cached part",
    CounterName.GATEWAY_MISSES: "Open-Meteo gateway locations that needed a fetch (this "
    "request's, or another's it waited for)",
    CounterName.GATEWAY_STALE: "Open-Meteo gateway locations answered with an expired part "
    "(refreshing in the background, or the worker's last good copy after a failed fetch)",
    CounterName.GATEWAY_API_CALLS: "Upstream calls the Open-Meteo gateway sent; one call carries "
    "every location a request won the fetch of",
    CounterName.GATEWAY_ERRORS: "Open-Meteo gateway locations whose fetch or background "
    "refresh failed",
}
# Counted per provider too. Calls as in api_calls, but a failover fetch is a call of each
# provider it tried; attempts add the retries; errors are the calls that failed in the end,
# so calls minus errors is what each one answered.
BY_PROVIDER = (CounterName.API_CALLS, CounterName.API_ATTEMPTS, CounterName.UPSTREAM_ERRORS)
BY_PROVIDER_MEANINGS: Mapping[CounterName, str] = {
    CounterName.API_CALLS: "Calls each provider was sent, as api_calls counts them (a fetch that "
    "failed over is a call of each provider it tried)",
    CounterName.API_ATTEMPTS: "Attempts each provider was sent, retries included",
    CounterName.UPSTREAM_ERRORS: "Calls of each provider that failed after their retries",
}

# The gateway's counters, each counted per API too (forecast, air-quality, archive).
BY_API = (
    CounterName.GATEWAY_HITS,
    CounterName.GATEWAY_MISSES,
    CounterName.GATEWAY_STALE,
    CounterName.GATEWAY_API_CALLS,
    CounterName.GATEWAY_ERRORS,
)

Report = dict[str, float | int | dict[str, int] | None]


class GetStats:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self) -> Report:
        totals = await self._metrics.totals()
        report: Report = {c.value: totals.get(c, 0) for c in CounterName}
        report["hit_ratio"] = hit_ratio(totals)
        for counter in BY_PROVIDER:
            by_provider = await self._metrics.labelled_totals(counter)
            report[f"{counter.value}_by_provider"] = dict(sorted(by_provider.items()))
        for counter in BY_API:
            by_api = await self._metrics.labelled_totals(counter)
            report[f"{counter.value}_by_api"] = dict(sorted(by_api.items()))
        return report


def hit_ratio(totals: Mapping[CounterName, int]) -> float | None:
    hits = totals.get(CounterName.CACHE_HITS, 0)
    served = hits + totals.get(CounterName.CACHE_MISSES, 0)
    return round(hits / served, 4) if served else None
