"""WeatherLoad: one fetch of a city's weather, run by whoever holds its lease."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CityNotFound, UnusableAnswer, UpstreamUnavailable, counted_if_sent
from domain.model.policy import CachePolicy
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.use_cases.paying import FetchPayer
from domain.use_cases.stampede import StampedeGuard
from domain.use_cases.weather_entries import WeatherEntries
from ports.clock import Clock
from ports.metrics import Metrics
from ports.provider import WeatherProvider


def fence_of(started: float, lease_fence: int | None = None) -> int:
    """A fetch's fence: its lease's (Redis' clock when granted, one clock for every host);
    without one (no lease, or the host lock's), its start in whole epoch milliseconds."""
    return lease_fence if lease_fence is not None else round(started * 1000)


class WeatherLoad:
    """Rules:
    - the answer is written with its fetch's fence, so an older fetch finishing last loses;
    - "no such city" is cached only on the first provider's word (CityNotFound.final); a
      fallback's fails a refresh (stale copy kept), and is raised for a miss, uncached;
    - an answer unusable for this city is remembered briefly, unless a refresh got it: its
      stale copy stays;
    - counted: every upstream call that went out (one the provider turned away before any
      I/O is none), in API_CALLS and in the fetch's UpstreamCall."""

    def __init__(
        self,
        *,
        entries: WeatherEntries,
        provider: WeatherProvider,
        chain: ProviderChain,
        policy: CachePolicy,
        clock: Clock,
        metrics: Metrics,
        uniform: Callable[[], float],
    ) -> None:
        self._entries, self._provider, self._chain = entries, provider, chain
        self._policy, self._clock, self._metrics = policy, clock, metrics
        self._uniform = uniform

    async def __call__(
        self,
        query: WeatherQuery,
        call: UpstreamCall,
        *,
        stale: CacheEntry | None = None,
        fence: int | None = None,
    ) -> CacheEntry:
        """`stale`: the copy a refresh replaces, which an unusable answer must not replace.
        `fence`: its lease's (StampedeGuard hands it to the load); else its start now."""
        started = self._clock.now()
        entry = await self._fetched(query, call, started, stale)
        entry = replace(entry, fence=fence_of(started, fence))
        await self._entries.write(query.key, entry)
        return entry

    async def _fetched(
        self, query: WeatherQuery, call: UpstreamCall, started: float, stale: CacheEntry | None
    ) -> CacheEntry:
        """The entry a fetch started at `started` gives, not yet fenced nor written."""
        try:
            weather = await self._call(query, call)
        except CityNotFound as error:
            if error.final:
                return self._policy.negative_entry(self._clock.now(), provider=self._chain.first)
            if stale is not None:
                raise UpstreamUnavailable(str(error)) from error  # a failed refresh
            raise
        except UnusableAnswer as error:
            if stale is not None:
                raise
            return self._policy.unusable_entry(
                self._clock.now(), error.reason, provider=self._chain.name
            )
        now = self._clock.now()
        return self._policy.fresh_entry(
            weather, now, jitter_fraction=self._uniform(), fetch_s=now - started
        )

    async def _call(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        def count() -> None:
            self._metrics.incr(CounterName.API_CALLS)
            call.note_sent()  # a provider without HTTP calls (the simulated one) has no transport

        return await counted_if_sent(self._provider.current(query, call), count)


@dataclass(frozen=True, slots=True)
class Fetching:
    """What every fetch of a city needs, a miss's or a refresh's: the guard that lets one
    run cluster-wide, the payer that charges its client, the load, and the store."""

    guard: StampedeGuard[CacheEntry]
    payer: FetchPayer
    load: WeatherLoad
    entries: WeatherEntries
