"""GetWeather: the use case behind GET /weather."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from domain.model.entry import CacheEntry
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.policy import CachePolicy, Freshness
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.use_cases.paying import FetchPayer
from domain.use_cases.stampede import StampedeGuard
from domain.use_cases.weather_answers import WeatherAnswers
from domain.use_cases.weather_entries import WeatherEntries
from domain.use_cases.weather_last_good import LastGoodCopy
from domain.use_cases.weather_load import Fetching, WeatherLoad, fence_of
from domain.use_cases.weather_miss import WeatherMiss
from domain.use_cases.weather_refresh import StaleRefresh
from ports.budget import MissBudget
from ports.cache import LastGoodReader, WeatherStore
from ports.clock import Clock
from ports.metrics import Metrics
from ports.provider import WeatherProvider

__all__ = ["GetWeather", "Seen", "fence_of"]


@dataclass(frozen=True, slots=True)
class Seen:
    """What `cached_hit` read for a key and could not answer (None: nothing): the full call
    that follows starts from it instead of reading the entry again."""

    key: str
    entry: CacheEntry | None


class GetWeather:
    """Answers a weather query from the cache, the upstream, or another worker's fetch.

    - fresh entry: served as is (HIT); a negative one raises CityNotFound (NEGATIVE);
    - stale entry: served at once (STALE) while one refresh runs cluster-wide, unless a
      failed refresh set a back-off (domain.use_cases.weather_refresh);
    - miss: exactly one upstream fetch cluster-wide (domain.use_cases.weather_load); other
      callers get its result; a failed one is answered by the last good copy this process
      holds, if any (domain.use_cases.weather_last_good);
    - only this chain's entries are read, and the cache being down is a miss, never an
      error (domain.use_cases.weather_entries);
    - upstream calls are admitted by priority (UpstreamCall, passed down to each request):
      refreshes first, then misses for places already geocoded (the geocoder's one read
      of the location store says so, adapters/providers/cached_geocoder.py), then names never seen;
    - a cold city reads its entry once before its lease (once more under it, for a fetch
      another worker finished meanwhile): the fast path's read is handed on as `seen`;
    - every fetch, a refresh too, spends the miss budget of the `client` whose read started
      it (domain.use_cases.paying); hits and requests joining a fetch in flight spend nothing;
    - counted: every request as a hit or a miss (domain.use_cases.weather_answers), a
      failed fetch too, even one the last good copy then answers.
    """

    def __init__(
        self,
        *,
        cache: WeatherStore,
        last_good: LastGoodReader,
        provider: WeatherProvider,
        guard: StampedeGuard[CacheEntry],
        metrics: Metrics,
        clock: Clock,
        policy: CachePolicy,
        uniform: Callable[[], float] = random.random,
        misses: MissBudget | None = None,
    ) -> None:
        chain = ProviderChain.named(provider.name)
        self._clock, self._policy = clock, policy
        self._entries = WeatherEntries(cache, chain, policy, clock)
        self._answers = WeatherAnswers(metrics)
        load = WeatherLoad(
            entries=self._entries, provider=provider, chain=chain, policy=policy,
            clock=clock, metrics=metrics, uniform=uniform,
        )  # fmt: skip
        fetching = Fetching(guard, FetchPayer(misses), load, self._entries)
        self._last_good = LastGoodCopy(
            copies=last_good, entries=self._entries, answers=self._answers, chain=chain,
            policy=policy, clock=clock, metrics=metrics,
        )  # fmt: skip
        self._refresh = StaleRefresh(
            fetching=fetching, policy=policy, clock=clock, metrics=metrics, uniform=uniform
        )
        self._miss = WeatherMiss(
            fetching=fetching, last_good=self._last_good, answers=self._answers,
            clock=clock, metrics=metrics,
        )  # fmt: skip

    async def __call__(
        self, query: WeatherQuery, client: str | None = None, seen: Seen | None = None
    ) -> WeatherResult:
        """`client` (an address) is who asks, for the miss budget; not part of the key.
        `seen`: what this request's `cached_hit` just read, so it is not read twice."""
        if seen is not None and seen.key == query.key:
            entry = seen.entry
        else:
            entry = await self._entries.read(query.key)
        now = self._clock.now()
        state = self._policy.state(entry, now) if entry else Freshness.EXPIRED
        if entry is not None and state is Freshness.FRESH:
            if entry.is_unusable:
                return await self._last_good.instead_of_unusable(
                    query, entry, CacheOutcome.HIT, now
                )
            if self._refresh.wants_early(entry):
                self._refresh.start(query, entry, client)
            return self._answers.answer(entry, CacheOutcome.HIT, now)
        if entry is not None and state is Freshness.STALE and entry.weather is not None:
            if self._policy.may_refresh(entry, now):
                self._refresh.start(query, entry, client)
            return self._answers.answer(entry, CacheOutcome.STALE, now)
        return await self._miss(query, client)

    def record_hit(self) -> None:
        """Count a fresh answer given by an outer, in-process layer (the near cache)."""
        self._answers.count(CacheOutcome.HIT)

    async def cached_hit(self, query: WeatherQuery) -> WeatherResult | Seen:
        """The answer when the cache holds a fresh, known city: a HIT, exactly as a call
        would give it (counted, an early refresh perhaps started). Anything else is what was
        read, with nothing counted or started, for a full call to handle (pass it as `seen`):
        this is the one-read path a server can take for its hot hits before any other work.
        A hit that would start an early refresh is left to the full call: it knows the
        client to charge."""
        entry = await self._entries.read(query.key)
        now = self._clock.now()
        if entry is None or entry.weather is None:
            return Seen(query.key, entry)
        if self._policy.state(entry, now) is not Freshness.FRESH or self._refresh.wants_early(
            entry
        ):
            return Seen(query.key, entry)
        return self._answers.answer(entry, CacheOutcome.HIT, now)

    async def drain(self) -> None:
        """Wait for background refreshes, so a shutdown leaves no lease held."""
        await self._refresh.drain()
