"""Per-provider counts: the calls each provider is sent and their failures, and its attempts."""

from __future__ import annotations

from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import UpstreamUnavailable, counted_if_sent
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from ports.metrics import Metrics
from ports.provider import WeatherProvider


class CountedProvider(WeatherProvider):
    """Wrap a provider's protection: each call it lets out counts once, by the provider's name,
    however many attempts its retries took; so does each call that failed in the end.
    A call the protection turned away before any I/O (attempted=False) counts as neither."""

    def __init__(self, inner: WeatherProvider, metrics: Metrics) -> None:
        self.name = inner.name
        self.inner = inner
        self._metrics = metrics

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        try:
            return await counted_if_sent(self.inner.current(query, call), self._count_call)
        except UpstreamUnavailable as error:
            if error.attempted:
                self._metrics.incr_labelled(CounterName.UPSTREAM_ERRORS, self.name)
            raise

    def _count_call(self) -> None:
        self._metrics.incr_labelled(CounterName.API_CALLS, self.name)

    def healthy(self) -> bool:
        return self.inner.healthy()


class CountedAttempts(WeatherProvider):
    """Wrap the bare adapter, inside its protection: every attempt counts, retries included,
    in total and by the provider's name; the protection's refusals never get this far, and one
    the upstream budget made below the adapter (attempted=False) is no attempt either."""

    def __init__(self, inner: WeatherProvider, metrics: Metrics) -> None:
        self.name = inner.name
        self._inner = inner
        self._metrics = metrics

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        return await counted_if_sent(self._inner.current(query, call), self._count)

    def _count(self) -> None:
        self._metrics.incr(CounterName.API_ATTEMPTS)
        self._metrics.incr_labelled(CounterName.API_ATTEMPTS, self.name)

    def healthy(self) -> bool:
        return self._inner.healthy()
