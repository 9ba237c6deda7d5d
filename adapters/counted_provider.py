"""CountedProvider: counts the calls one provider is sent, and its failures, by its name."""

from __future__ import annotations

from domain.errors import UpstreamUnavailable
from domain.outcome import Counter
from domain.query import WeatherQuery
from domain.weather import Weather
from ports.metrics import Metrics
from ports.provider import WeatherProvider


class CountedProvider(WeatherProvider):
    """Wrap the bare adapter, inside its guard: then retries count as the calls they are,
    and calls the guard turned away without I/O (breaker open, quota) count as none."""

    def __init__(self, inner: WeatherProvider, metrics: Metrics) -> None:
        self.name = inner.name
        self._inner = inner
        self._metrics = metrics

    async def current(self, query: WeatherQuery) -> Weather:
        self._metrics.incr_labelled(Counter.API_CALLS, self.name)
        try:
            return await self._inner.current(query)
        except UpstreamUnavailable:
            self._metrics.incr_labelled(Counter.UPSTREAM_ERRORS, self.name)
            raise

    def healthy(self) -> bool:
        return self._inner.healthy()
