"""The status page's view of the Prometheus instruments: totals by outcome, latency buckets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.core import Metric

WEATHER = "/weather"
OUTCOMES = ("HIT", "MISS", "STALE", "COALESCED", "NEGATIVE")


def summarise(families: Iterable[Metric]) -> dict[str, Any]:
    """Cumulative totals, as /metrics has them; the page turns them into rates.

    - requests: /weather requests by X-Cache outcome ("" for none: errors, bad input);
    - statuses: /weather requests by status class (2xx, 4xx, 5xx);
    - latency: the cumulative buckets of /weather's timings, [[le, count], ...], le None
      for +Inf (near-cache hits are not timed);
    - upstream: HTTP calls sent upstream and those that did not answer "ok".
    """
    requests = dict.fromkeys((*OUTCOMES, ""), 0)
    statuses = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
    buckets: dict[float, float] = {}
    upstream = {"calls": 0, "errors": 0}
    for family in families:
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "skycache_http_requests_total" and labels["route"] == WEATHER:
                cache = labels["cache"] if labels["cache"] in requests else ""
                requests[cache] += int(sample.value)
                status = f"{labels['status'][:1]}xx"
                if status in statuses:
                    statuses[status] += int(sample.value)
            elif (
                sample.name == "skycache_http_request_duration_seconds_bucket"
                and labels["route"] == WEATHER
            ):
                le = float(labels["le"])
                buckets[le] = buckets.get(le, 0) + sample.value
            elif sample.name == "skycache_upstream_request_duration_seconds_count":
                upstream["calls"] += int(sample.value)
                if labels["outcome"] != "ok":
                    upstream["errors"] += int(sample.value)
    latency = [[None if le == float("inf") else le, int(n)] for le, n in sorted(buckets.items())]
    return {"requests": requests, "statuses": statuses, "latency": latency, "upstream": upstream}
