"""WeatherMiss: a city the cache cannot answer, fetched once cluster-wide for every reader."""

from __future__ import annotations

import functools

from domain.model.admission import Priority, UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import CityNotFound, TooManyMisses, UpstreamUnavailable
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.query import WeatherQuery
from domain.use_cases.stampede import Role
from domain.use_cases.weather_answers import WeatherAnswers
from domain.use_cases.weather_last_good import LastGoodCopy
from domain.use_cases.weather_load import Fetching
from ports.clock import Clock
from ports.metrics import Metrics


class WeatherMiss:
    """Rules:
    - exactly one upstream fetch cluster-wide (the guard's lease); the other readers get
      its result (COALESCED);
    - paid by the client whose read started it, at the priority of a name never seen until
      its geocoder finds (or remembers) the place;
    - a failed fetch, or a fallback's unconfirmed "no such city", is answered by the last
      good copy if this process holds one; a client over its miss budget is a miss too,
      but no upstream error."""

    def __init__(
        self,
        *,
        fetching: Fetching,
        last_good: LastGoodCopy,
        answers: WeatherAnswers,
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._guard, self._payer = fetching.guard, fetching.payer
        self._load, self._entries = fetching.load, fetching.entries
        self._last_good, self._answers = last_good, answers
        self._clock, self._metrics = clock, metrics

    async def __call__(self, query: WeatherQuery, client: str | None) -> WeatherResult:
        # The fetch task the guard starts is handed this same call.
        call = UpstreamCall(Priority.UNKNOWN)
        try:
            joining = functools.partial(self._guard.busy, query.key)
            async with self._payer.fetch(query.key, client, joining, call):
                entry, role = await self._guard.run(
                    query.key,
                    lambda fence: self._load(query, call, fence=fence),
                    lambda: self._entries.fresh(query.key),
                )
        except UpstreamUnavailable as error:
            return await self._last_good.after_failed_miss(query, error)
        except CityNotFound as error:
            # A fallback's word while the first provider failed (a final one was cached).
            return await self._last_good.after_failed_miss(query, _unconfirmed_miss(error))
        except TooManyMisses:
            # It needed a fetch, so it is a miss; the refusal is the client's, not the
            # upstream's: no upstream error.
            self._metrics.incr(CounterName.CACHE_MISSES)
            raise
        outcome = CacheOutcome.MISS if role is Role.OWNER else CacheOutcome.COALESCED
        now = self._clock.now()
        if entry.is_unusable:
            self._answers.count_failed_miss()
            return await self._last_good.instead_of_unusable(query, entry, outcome, now)
        return self._answers.answer(entry, outcome, now)


def _unconfirmed_miss(error: CityNotFound) -> CityNotFound:
    return CityNotFound(str(error), outcome=CacheOutcome.MISS, fresh_for_s=0.0, final=False)
