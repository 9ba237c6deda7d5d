"""LastGoodCopy: a city's last good weather this process kept, served when a fetch cannot."""

from __future__ import annotations

from dataclasses import replace

from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import SkycacheError, UnusableAnswer
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.policy import CachePolicy, Freshness
from domain.model.provenance import ProviderChain
from domain.model.query import WeatherQuery
from domain.use_cases.weather_answers import WeatherAnswers, result
from domain.use_cases.weather_entries import WeatherEntries
from ports.cache import LastGoodReader
from ports.clock import Clock
from ports.metrics import Metrics


class LastGoodCopy:
    """Rules:
    - when a fetch fails (or the city's answer is unusable) and the cache has no copy, the
      last good copy this process holds is served STALE and written back with a back-off:
      the shared cache lost it (flushed, restarted empty), the upstream cannot replace it;
    - written back with the fence of what it replaces, so the next fetch, started later,
      still wins;
    - only a copy of this chain's, still within its stale TTL, is served."""

    def __init__(
        self,
        *,
        copies: LastGoodReader,
        entries: WeatherEntries,
        answers: WeatherAnswers,
        chain: ProviderChain,
        policy: CachePolicy,
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._copies, self._entries, self._answers = copies, entries, answers
        self._chain, self._policy, self._clock = chain, policy, clock
        self._metrics = metrics

    async def after_failed_miss(self, query: WeatherQuery, error: SkycacheError) -> WeatherResult:
        """The last good copy if this process holds one, else `error`."""
        self._answers.count_failed_miss()
        served = await self._served(query, missed=True)
        if served is None:
            raise error
        return served

    async def instead_of_unusable(
        self, query: WeatherQuery, entry: CacheEntry, outcome: CacheOutcome, now: float
    ) -> WeatherResult:
        """The last good copy if this process holds one, else the remembered 502."""
        served = await self._served(query, missed=outcome is not CacheOutcome.HIT, replacing=entry)
        if served is not None:
            return served
        if outcome is CacheOutcome.HIT:
            self._answers.count(CacheOutcome.HIT)  # answered by the cache, no upstream call
        raise UnusableAnswer(
            entry.unusable or "the upstream's answer for this city is unusable",
            retry_after_s=max(entry.fresh_until - now, 1.0),
            outcome=outcome,
        )

    async def _served(
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
        await self._entries.write(
            query.key, replace(self._policy.after_failed_refresh(copy, now), fence=fence)
        )
        if not missed:
            return self._answers.answer(copy, CacheOutcome.STALE, now)
        self._metrics.incr(CounterName.STALE_SERVED)
        return result(copy.weather, copy, CacheOutcome.STALE, now)
