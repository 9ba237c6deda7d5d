"""Every tally this process counts in memory, given to the one Flushes that sends them."""

from __future__ import annotations

from adapters.flushes import Flushes
from adapters.observability.prometheus_instruments import Instruments
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.http.status.top_cities import TopCities
from entrypoints.settings import Settings
from entrypoints.wiring.status import TOP_CITIES_SHARE_S
from ports.clock import Clock
from ports.metrics import Metrics

# Prometheus counters: a scrape flushes them first, so this only bounds a file's age.
PROMETHEUS_FLUSH_S = 1.0
# Request log lines: soon enough to tail, rare enough that a write carries many lines.
ACCESS_LOG_FLUSH_S = 0.2


def flushes(
    clock: Clock,
    settings: Settings,
    instruments: Instruments,
    metrics: Metrics,
    top_cities: TopCities,
    access_log: AccessLog,
) -> Flushes:
    """Opened and closed by the container: on a timer while serving, once more at shutdown
    (the Redis counters before the Redis client closes)."""
    every = Flushes(clock)
    every.register("prometheus counters", instruments.batch.flush, every_s=PROMETHEUS_FLUSH_S)
    every.register("stats counters", metrics.flush, every_s=settings.metrics_flush_s)
    every.register("access log", access_log.flush, every_s=ACCESS_LOG_FLUSH_S)
    if settings.run_path("metrics") is not None:
        every.register("top cities", top_cities.share, every_s=TOP_CITIES_SHARE_S)
    return every
