"""StaleRefresh: a stale (or early) entry refreshed in the background, once cluster-wide."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace

from domain.model.admission import Priority, UpstreamCall
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import TooManyMisses, UpstreamBudgetSpent, UpstreamUnavailable
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.use_cases.weather_load import Fetching, fence_of
from ports.clock import Clock
from ports.metrics import Metrics


class StaleRefresh:
    """Rules:
    - one refresh a key in this process, and cluster-wide (the guard's lease);
    - a refresh is dropped if the entry changed since it was read (another worker's
      refresh or back-off landed first); early (XFetch) refreshes obey the back-off too;
    - a failed refresh keeps the stale copy and writes a back-off with its own fence, so a
      newer fetch that overlapped it keeps its answer; one our own budget refused counts
      no failure: it waits for room;
    - its calls are admitted first (Priority.REFRESH) and charged to the reader who
      started it; refused, it is left to the next reader (no back-off)."""

    def __init__(
        self,
        *,
        fetching: Fetching,
        policy: CachePolicy,
        clock: Clock,
        metrics: Metrics,
        uniform: Callable[[], float],
    ) -> None:
        self._guard, self._payer = fetching.guard, fetching.payer
        self._load, self._entries = fetching.load, fetching.entries
        self._policy, self._clock, self._metrics = policy, clock, metrics
        self._uniform = uniform
        self._running: dict[str, asyncio.Task[None]] = {}

    def wants_early(self, entry: CacheEntry) -> bool:
        """Whether a fresh entry should be refreshed now (XFetch), back-off permitting."""
        now = self._clock.now()
        return self._policy.may_refresh(entry, now) and self._policy.wants_early_refresh(
            entry, now, self._uniform()
        )

    def start(self, query: WeatherQuery, stale: CacheEntry, client: str | None) -> None:
        if query.key in self._running or self._guard.busy(query.key):
            return
        task = asyncio.create_task(self._paid(query, stale, client))
        self._running[query.key] = task
        task.add_done_callback(lambda _: self._running.pop(query.key, None))

    async def drain(self) -> None:
        """Wait for background refreshes, so a shutdown leaves no lease held."""
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _paid(self, query: WeatherQuery, stale: CacheEntry, client: str | None) -> None:
        """Charged to the reader who started it; refused, it is left to the next reader (no
        back-off: another client's read of the same city must still refresh it)."""
        call = UpstreamCall(Priority.REFRESH)
        with contextlib.suppress(TooManyMisses):
            async with self._payer.fetch(query.key, client, lambda: False, call):
                await self._refresh(query, stale, call)

    async def _refresh(self, query: WeatherQuery, stale: CacheEntry, call: UpstreamCall) -> None:
        async def load(lease_fence: int | None) -> CacheEntry:
            fence = fence_of(self._clock.now(), lease_fence)
            try:
                return await self._load(query, call, stale=stale, fence=fence)
            except UpstreamUnavailable as error:
                self._metrics.incr(CounterName.UPSTREAM_ERRORS)
                # Written while we still hold the lease, so no other worker races it; with
                # this fetch's fence, so a newer fetch that overlapped it keeps its answer.
                backoff = replace(self._after_failure(stale, error), fence=fence)
                await self._entries.write(query.key, backoff)
                raise

        async def done_meanwhile() -> CacheEntry | None:
            # Another worker may have refreshed, or failed and set a back-off, between our
            # read and our lease: either way this refresh is no longer ours to run. Freshness
            # is no test: an early (XFetch) refresh replaces an entry that is still fresh.
            entry = await self._entries.read(query.key)
            return entry if entry is not None and _changed(entry, since=stale) else None

        with contextlib.suppress(UpstreamUnavailable):
            await self._guard.refresh(query.key, load, done_meanwhile)

    def _after_failure(self, stale: CacheEntry, error: UpstreamUnavailable) -> CacheEntry:
        now = self._clock.now()
        if isinstance(error, UpstreamBudgetSpent):
            return self._policy.after_refused_refresh(stale, now, error.retry_after_s or 0.0)
        return self._policy.after_failed_refresh(stale, now)


def _changed(entry: CacheEntry, *, since: CacheEntry) -> bool:
    """Every write bumps one of these: a refresh the fetch time, a failed one the count."""
    return (entry.fetched_at, entry.failures) != (since.fetched_at, since.failures)
