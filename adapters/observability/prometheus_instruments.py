"""Prometheus instruments, summed over uvicorn workers when PROMETHEUS_MULTIPROC_DIR is set.

prometheus_client picks multiprocess mode when it is first imported, from that variable;
`skycache serve` sets it before any worker starts, so every worker writes its values to
mmapped files there and a scrape of any worker reads them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from adapters.observability.observed_lock import ObservedLock
from adapters.observability.observed_transport import ObservedTransport
from adapters.observability.prometheus_metrics import Batch, PrometheusMetrics
from adapters.observability.readings import Readings
from domain.model.counters import CounterName
from domain.use_cases.stats import BY_API, BY_PROVIDER, BY_PROVIDER_MEANINGS, MEANINGS
from ports.clock import Clock
from ports.lock import Lock, Signal
from ports.metrics import Metrics

# A near-cache hit takes well under a millisecond, an upstream fetch up to UPSTREAM_TIMEOUT.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_LABELS = ["route", "status", "cache"]


class Instruments:
    """Every metric of one process; in multiprocess mode no registry holds them."""

    def __init__(self, *, multiprocess: bool | None = None) -> None:
        if multiprocess is None:
            # What the library chose at its import, which the variable may no longer tell.
            multiprocess = values.ValueClass is not values.MutexValue
        self.registry = None if multiprocess else CollectorRegistry()
        r = self.registry
        self.batch = Batch()
        self.requests = Counter(
            "skycache_http_requests",
            "HTTP requests by route, status and X-Cache ('' if none), near-cache hits included",
            _LABELS,
            registry=r,
        )
        self.latency = Histogram(
            "skycache_http_request_duration_seconds",
            "Time to answer the requests that got past the near cache",
            _LABELS,
            buckets=_BUCKETS,
            registry=r,
        )
        self.upstream = Histogram(
            "skycache_upstream_request_duration_seconds",
            "Upstream HTTP calls by endpoint and outcome (ok, http_4xx, http_429, http_5xx, "
            "timeout, connection_error), timed to the response headers",
            ["endpoint", "outcome"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.lock_waits = Histogram(
            "skycache_lock_wait_seconds",
            "Waits for another worker's fetch, by how each ended (done, failed, timeout)",
            ["signal"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.lock_contended = Counter(
            "skycache_lock_contended", "Lease attempts that found the key's lease held", registry=r
        )
        # HELP says what /stats says: the same events, counted once.
        self.counters = {
            c: Counter(f"skycache_{c.value}", f"{MEANINGS[c]} (/stats {c.value})", registry=r)
            for c in CounterName
        }
        self.by_provider = {
            c: Counter(
                f"skycache_{c.value}_by_provider",
                f"{BY_PROVIDER_MEANINGS[c]} (/stats {c.value}_by_provider)",
                ["provider"],
                registry=r,
            )
            for c in BY_PROVIDER
        }
        self.by_provider |= {
            c: Counter(
                f"skycache_{c.value}_by_api",
                f"{MEANINGS[c]}, by API (/stats {c.value}_by_api)",
                ["api"],
                registry=r,
            )
            for c in BY_API
        }

    def count_too(self, metrics: Metrics) -> Metrics:
        """`metrics`, with every increment also counted here."""
        return PrometheusMetrics(metrics, self.counters, self.batch, self.by_provider)

    def observe_lock(self, lock: Lock, clock: Clock) -> Lock:
        return ObservedLock(
            lock, clock, on_contended=self.lock_contended.inc, on_wait=self._lock_wait
        )

    def observe_transport(
        self, transport: httpx.AsyncBaseTransport, endpoints: Mapping[str, str], clock: Clock
    ) -> httpx.AsyncBaseTransport:
        return ObservedTransport(transport, clock, self._upstream_call, endpoints)

    def _lock_wait(self, signal: Signal, seconds: float) -> None:
        self.lock_waits.labels(signal.value).observe(seconds)

    def _upstream_call(self, endpoint: str, outcome: str, seconds: float) -> None:
        self.upstream.labels(endpoint, outcome).observe(seconds)

    def render(self, accept: str | None, readings: Readings) -> tuple[bytes, str]:
        """The exposition for a scrape (text, or OpenMetrics if asked) and its content type."""
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Fixed(self.collect()))
        scrape.register(_Fixed(readings.families()))
        encode, content_type = choose_encoder(accept or "")
        return encode(scrape), content_type

    def collect(self) -> list[Metric]:
        """Every counter and histogram, summed over this instance's workers."""
        self.batch.flush()  # this worker's counts, at least, are current
        if self.registry is not None:
            return list(self.registry.collect())
        # prometheus_client leaves MultiProcessCollector unannotated.
        collector = MultiProcessCollector(None)  # type: ignore[no-untyped-call]
        return list(collector.collect())  # type: ignore[no-untyped-call]


class _Fixed:
    """A collector that yields metric families gathered beforehand."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families
