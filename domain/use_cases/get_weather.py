"""GetWeather: the use case behind GET /weather."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from domain.model.admission import Priority, admitted_as, note_sent
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import (
    CacheUnavailable,
    CityNotFound,
    SkycacheError,
    TooManyMisses,
    UnusableAnswer,
    UpstreamBudgetSpent,
    UpstreamUnavailable,
    counted_if_sent,
)
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.policy import CachePolicy, Freshness
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.use_cases.paying import FetchPayer
from domain.use_cases.stampede import LEASE_FENCE, Role, StampedeGuard
from ports.budget import MissBudget
from ports.cache import LastGoodReader, WeatherStore
from ports.clock import Clock
from ports.metrics import Metrics
from ports.provider import WeatherProvider

_COUNTERS = {
    CacheOutcome.HIT: (CounterName.CACHE_HITS, CounterName.AVOIDED_API_CALLS),
    CacheOutcome.STALE: (
        CounterName.CACHE_HITS,
        CounterName.STALE_SERVED,
        CounterName.AVOIDED_API_CALLS,
    ),
    CacheOutcome.NEGATIVE: (
        CounterName.CACHE_HITS,
        CounterName.NEGATIVE_HITS,
        CounterName.AVOIDED_API_CALLS,
    ),
    CacheOutcome.MISS: (CounterName.CACHE_MISSES,),
    CacheOutcome.COALESCED: (
        CounterName.CACHE_MISSES,
        CounterName.COALESCED,
        CounterName.AVOIDED_API_CALLS,
    ),
}
# The request needed a fetch, so it is a miss, whether the fetch failed, was refused or
# was another request's.
_FAILED_MISS = (CounterName.CACHE_MISSES, CounterName.UPSTREAM_ERRORS)


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
      failed refresh set a back-off; a failed refresh never makes the copy fresh again;
    - a refresh is dropped if the entry changed since it was read (another worker's
      refresh or back-off landed first); early (XFetch) refreshes obey the back-off too;
    - miss: exactly one upstream fetch cluster-wide; other callers get its result;
    - an answer unusable for this city is remembered briefly (a 502 with no upstream call);
      a refresh that gets one keeps its stale copy and backs off instead;
    - when a fetch fails (or the city's answer is unusable) and the cache has no copy, the
      last good copy this process holds is served STALE and written back with a back-off:
      the shared cache lost it (flushed, restarted empty), the upstream cannot replace it;
    - the cache being down is a miss, never an error;
    - every write carries its fetch's fence (its start time): caches keep the newest
      fetch's entry, so an older fetch that finishes last (a paused holder) is refused;
      a failed fetch's back-off carries its own fence, and a last good copy written back
      the fence of what it replaces, so the next fetch, started later, still wins;
    - only entries the configured providers produced are read (ProviderChain.owns): any
      other, a simulated provider's or another chain's, is a miss, as if it were absent;
    - "no such city" is cached only on the first provider's word; a fallback's (the first
      failed) answers a miss uncached, and fails a refresh (stale copy kept, back-off);
    - upstream calls are admitted by priority (domain.model.admission): refreshes first, then
      misses for places already geocoded (the geocoder's one read of the location store
      says so, domain.use_cases.geocoding), then names never seen;
    - a cold city reads its entry once before its lease (once more under it, for a fetch
      another worker finished meanwhile): the fast path's read is handed on as `seen`;
    - every fetch, a refresh too, spends the miss budget of the `client` whose read started
      it (domain.use_cases.paying); hits and requests joining a fetch in flight spend nothing;
    - a refresh our own budget refused counts no failure: it waits for room, stale served;
    - counted: every request as a hit or a miss (a failed fetch too, even one the last good
      copy then answers), and every upstream call that went out (one the provider turned
      away before any I/O is none).
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
        self._cache = cache
        self._copies = last_good
        self._provider = provider
        self._guard = guard
        self._metrics = metrics
        self._clock = clock
        self._policy = policy
        self._uniform = uniform
        self._payer = FetchPayer(misses)
        self._refreshes: dict[str, asyncio.Task[None]] = {}
        self._chain = ProviderChain.named(provider.name)

    async def __call__(
        self, query: WeatherQuery, client: str | None = None, seen: Seen | None = None
    ) -> WeatherResult:
        """`client` (an address) is who asks, for the miss budget; not part of the key.
        `seen`: what this request's `cached_hit` just read, so it is not read twice."""
        if seen is not None and seen.key == query.key:
            entry = seen.entry
        else:
            entry = await self._read(query.key)
        now = self._clock.now()
        state = self._policy.state(entry, now) if entry else Freshness.EXPIRED
        if entry is not None and state is Freshness.FRESH:
            if entry.is_unusable:
                return await self._unusable(query, entry, CacheOutcome.HIT, now)
            return self._hit(query, entry, now, client)
        if entry is not None and state is Freshness.STALE and entry.weather is not None:
            if self._policy.may_refresh(entry, now):
                self._refresh_in_background(query, entry, client)
            return self._answer(entry, CacheOutcome.STALE, now)
        return await self._fetch(query, client)

    def record_hit(self) -> None:
        """Count a fresh answer given by an outer, in-process layer (the near cache)."""
        self._count(CacheOutcome.HIT)

    async def cached_hit(self, query: WeatherQuery) -> WeatherResult | Seen:
        """The answer when the cache holds a fresh, known city: a HIT, exactly as a call
        would give it (counted, an early refresh perhaps started). Anything else is what was
        read, with nothing counted or started, for a full call to handle (pass it as `seen`):
        this is the one-read path a server can take for its hot hits before any other work.
        A hit that would start an early refresh is left to the full call: it knows the
        client to charge."""
        entry = await self._read(query.key)
        now = self._clock.now()
        if entry is None or entry.weather is None:
            return Seen(query.key, entry)
        if self._policy.state(entry, now) is not Freshness.FRESH or self._wants_refresh(entry):
            return Seen(query.key, entry)
        return self._answer(entry, CacheOutcome.HIT, now)

    def _wants_refresh(self, entry: CacheEntry) -> bool:
        now = self._clock.now()
        return self._policy.may_refresh(entry, now) and self._policy.wants_early_refresh(
            entry, now, self._uniform()
        )

    def _hit(
        self, query: WeatherQuery, entry: CacheEntry, now: float, client: str | None
    ) -> WeatherResult:
        if self._wants_refresh(entry):
            self._refresh_in_background(query, entry, client)
        return self._answer(entry, CacheOutcome.HIT, now)

    async def drain(self) -> None:
        """Wait for background refreshes, so a shutdown leaves no lease held."""
        if self._refreshes:
            await asyncio.gather(*self._refreshes.values(), return_exceptions=True)

    async def _fetch(self, query: WeatherQuery, client: str | None) -> WeatherResult:
        try:
            # The fetch task, started inside, inherits the priority its calls are paid at: a
            # name not yet known to exist, until its geocoder finds it (or remembers it).
            async with self._payer.fetch(query.key, client, lambda: self._guard.busy(query.key)):
                with admitted_as(Priority.UNKNOWN):
                    entry, role = await self._guard.run(
                        query.key, lambda: self._load(query), lambda: self._peek(query.key)
                    )
        except UpstreamUnavailable as error:
            return await self._failed_miss(query, error)
        except CityNotFound as error:
            # A fallback's word while the first provider failed (a final one was cached).
            return await self._failed_miss(query, _unconfirmed_miss(error))
        except TooManyMisses:
            # It needed a fetch, so it is a miss; the refusal is the client's, not the
            # upstream's: no upstream error.
            self._metrics.incr(CounterName.CACHE_MISSES)
            raise
        outcome = CacheOutcome.MISS if role is Role.OWNER else CacheOutcome.COALESCED
        if entry.is_unusable:
            self._count_failed_miss()
            return await self._unusable(query, entry, outcome, self._clock.now())
        return self._answer(entry, outcome, self._clock.now())

    async def _failed_miss(self, query: WeatherQuery, error: SkycacheError) -> WeatherResult:
        """The last good copy if this process holds one, else `error`."""
        self._count_failed_miss()
        served = await self._last_good(query, missed=True)
        if served is None:
            raise error
        return served

    async def _unusable(
        self, query: WeatherQuery, entry: CacheEntry, outcome: CacheOutcome, now: float
    ) -> WeatherResult:
        """The last good copy if this process holds one, else the remembered 502."""
        served = await self._last_good(
            query, missed=outcome is not CacheOutcome.HIT, replacing=entry
        )
        if served is not None:
            return served
        if outcome is CacheOutcome.HIT:
            self._count(CacheOutcome.HIT)  # answered by the cache, no upstream call
        raise UnusableAnswer(
            entry.unusable or "the upstream's answer for this city is unusable",
            retry_after_s=max(entry.fresh_until - now, 1.0),
            outcome=outcome,
        )

    async def _last_good(
        self, query: WeatherQuery, *, missed: bool, replacing: CacheEntry | None = None
    ) -> WeatherResult | None:
        """The copy this process kept, served STALE, when the shared cache has none.

        `missed`: the request was already counted as a failed miss, so it is not also a hit.
        `replacing`: the entry without weather the cache holds instead, if any."""
        copy = await self._copies.last_good(query.key)
        now = self._clock.now()
        if copy is None or copy.weather is None or not self._chain.owns(copy):
            return None
        if self._policy.state(copy, now) is Freshness.EXPIRED:
            return None
        # Back in the shared cache with a back-off: the next requests are answered from it
        # (by every worker) without each one trying the failing upstream again. It carries
        # the fence of the entry it replaces (an unusable one), else its own.
        fence = max(copy.fence, replacing.fence if replacing else 0)
        await self._write(
            query.key, replace(self._policy.after_failed_refresh(copy, now), fence=fence)
        )
        if not missed:
            return self._answer(copy, CacheOutcome.STALE, now)
        self._metrics.incr(CounterName.STALE_SERVED)
        return _result(copy.weather, copy, CacheOutcome.STALE, now)

    def _answer(self, entry: CacheEntry, outcome: CacheOutcome, now: float) -> WeatherResult:
        if entry.weather is None:
            if outcome is CacheOutcome.HIT:
                outcome = CacheOutcome.NEGATIVE
            self._count(outcome)
            raise CityNotFound(
                "no city by that name",
                outcome=outcome,
                fresh_for_s=max(entry.fresh_until - now, 0.0),
            )
        self._count(outcome)
        return _result(entry.weather, entry, outcome, now)

    def _count(self, outcome: CacheOutcome) -> None:
        for counter in _COUNTERS[outcome]:
            self._metrics.incr(counter)

    def _count_failed_miss(self) -> None:
        for counter in _FAILED_MISS:
            self._metrics.incr(counter)

    async def _load(
        self, query: WeatherQuery, *, stale: CacheEntry | None = None, fence: int | None = None
    ) -> CacheEntry:
        """`stale`: the copy a refresh replaces, which an unusable answer must not replace.
        `fence`: the fetch's, when it was taken before this call; else its start now."""
        started = self._clock.now()
        entry = await self._fetched(query, started, stale)
        entry = replace(entry, fence=fence if fence is not None else fence_of(started))
        await self._write(query.key, entry)
        return entry

    async def _fetched(
        self, query: WeatherQuery, started: float, stale: CacheEntry | None
    ) -> CacheEntry:
        """The entry a fetch started at `started` gives, not yet fenced nor written."""
        try:
            weather = await self._call(query)
        except CityNotFound as error:
            if error.final:
                entry = self._policy.negative_entry(self._clock.now(), provider=self._chain.first)
            elif stale is not None:
                raise UpstreamUnavailable(str(error)) from error  # a failed refresh
            else:
                raise
        except UnusableAnswer as error:
            if stale is not None:
                raise
            entry = self._policy.unusable_entry(
                self._clock.now(), error.reason, provider=self._chain.name
            )
        else:
            now = self._clock.now()
            entry = self._policy.fresh_entry(
                weather, now, jitter_fraction=self._uniform(), fetch_s=now - started
            )
        return entry

    async def _call(self, query: WeatherQuery) -> Weather:
        return await counted_if_sent(self._provider.current(query), self._count_call)

    def _count_call(self) -> None:
        self._metrics.incr(CounterName.API_CALLS)
        note_sent()  # a provider without HTTP calls (the simulated one) reaches no transport

    def _refresh_in_background(
        self, query: WeatherQuery, stale: CacheEntry, client: str | None
    ) -> None:
        if query.key in self._refreshes or self._guard.busy(query.key):
            return
        task = asyncio.create_task(self._paid_refresh(query, stale, client))
        self._refreshes[query.key] = task
        task.add_done_callback(lambda _: self._refreshes.pop(query.key, None))

    async def _paid_refresh(
        self, query: WeatherQuery, stale: CacheEntry, client: str | None
    ) -> None:
        """Charged to the reader who started it; refused, it is left to the next reader (no
        back-off: another client's read of the same city must still refresh it)."""
        with contextlib.suppress(TooManyMisses):
            async with self._payer.fetch(query.key, client, lambda: False):
                await self._refresh(query, stale)

    async def _refresh(self, query: WeatherQuery, stale: CacheEntry) -> None:
        async def load() -> CacheEntry:
            fence = fence_of(self._clock.now())
            try:
                with admitted_as(Priority.REFRESH):
                    return await self._load(query, stale=stale, fence=fence)
            except UpstreamUnavailable as error:
                self._metrics.incr(CounterName.UPSTREAM_ERRORS)
                # Written while we still hold the lease, so no other worker races it; with
                # this fetch's fence, so a newer fetch that overlapped it keeps its answer.
                backoff = replace(self._after_failure(stale, error), fence=fence)
                await self._write(query.key, backoff)
                raise

        async def done_meanwhile() -> CacheEntry | None:
            # Another worker may have refreshed, or failed and set a back-off, between our
            # read and our lease: either way this refresh is no longer ours to run. Freshness
            # is no test: an early (XFetch) refresh replaces an entry that is still fresh.
            entry = await self._read(query.key)
            return entry if entry is not None and _changed(entry, since=stale) else None

        with contextlib.suppress(UpstreamUnavailable):
            await self._guard.refresh(query.key, load, done_meanwhile)

    def _after_failure(self, stale: CacheEntry, error: UpstreamUnavailable) -> CacheEntry:
        now = self._clock.now()
        if isinstance(error, UpstreamBudgetSpent):
            return self._policy.after_refused_refresh(stale, now, error.retry_after_s or 0.0)
        return self._policy.after_failed_refresh(stale, now)

    async def _peek(self, key: str) -> CacheEntry | None:
        """A usable (fresh) entry, or None: stale copies never satisfy a waiting fetch."""
        entry = await self._read(key)
        if entry is None or self._policy.state(entry, self._clock.now()) is not Freshness.FRESH:
            return None
        return entry

    async def _read(self, key: str) -> CacheEntry | None:
        try:
            entry = await self._cache.get(key)
        except CacheUnavailable:
            return None
        return entry if entry is not None and self._chain.owns(entry) else None

    async def _write(self, key: str, entry: CacheEntry) -> None:
        ttl_s = self._policy.storage_ttl_s(entry, self._clock.now())
        with contextlib.suppress(CacheUnavailable):
            await self._cache.put(key, entry, ttl_s)


def fence_of(started: float) -> int:
    """A fetch's fence: its lease's, Redis' clock when granted (one clock for every host);
    without one (no lease, the host lock's) its start in whole epoch milliseconds."""
    fence = LEASE_FENCE.get()
    return fence if fence is not None else round(started * 1000)


def _unconfirmed_miss(error: CityNotFound) -> CityNotFound:
    return CityNotFound(str(error), outcome=CacheOutcome.MISS, fresh_for_s=0.0, final=False)


def _changed(entry: CacheEntry, *, since: CacheEntry) -> bool:
    """Every write bumps one of these: a refresh the fetch time, a failed one the count."""
    return (entry.fetched_at, entry.failures) != (since.fetched_at, since.failures)


def _result(
    weather: Weather, entry: CacheEntry, outcome: CacheOutcome, now: float
) -> WeatherResult:
    return WeatherResult(
        weather=weather,
        outcome=outcome,
        age_s=max(now - entry.fetched_at, 0.0),
        fresh_for_s=max(entry.fresh_until - now, 0.0),
        stale_for_s=max(entry.stale_until - now, 0.0),
        fetched_at=entry.fetched_at,
        fence=entry.fence,
    )
