"""Cache admin: purge one city, warm a list of cities."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from domain.model.errors import CacheUnavailable, CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery, display_name
from domain.use_cases.get_weather import GetWeather
from ports.cache import WeatherStore

# How many warm fetches one call runs at once; the provider's own cap still applies.
WARM_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Purged:
    city: str
    shared: bool  # False: the shared cache did not answer, only this process's copies went


class PurgeCity:
    """Forgets a city's weather in the shared cache and in this process's last good copy.

    Every worker and instance sharing the cache misses on its next request, once its near
    cache (about a second, NEAR_CACHE_TTL) lets go; the shared cache tells the purge to
    every worker's last good copy (LOCAL_COPY_SHARED), so none answers for the city while
    the upstream fails. While the shared cache is down only this process's copies are
    forgotten, and the result says so."""

    def __init__(self, cache: WeatherStore) -> None:
        self._cache = cache

    async def __call__(self, query: WeatherQuery) -> Purged:
        try:
            await self._cache.delete(query.key)  # this process's copies first, then shared
        except CacheUnavailable:
            return Purged(display_name(query), shared=False)
        return Purged(display_name(query), shared=True)


@dataclass(frozen=True, slots=True)
class Warmed:
    city: str
    outcome: str  # the X-Cache it would have had (MISS: fetched now), or "not_found"/"failed"
    detail: str | None = None
    stored: bool = False  # read back from the shared cache after the warm: every instance sees it


NOT_STORED = "not in the shared cache (down, or it did not take it): only this process has it"


class WarmCities:
    """Makes sure each city is in the cache: a request for it through GetWeather.

    - a city already fresh costs nothing (HIT); a missing one is fetched (MISS);
    - through GetWeather, so through the stampede guard: a city named twice, or asked for
      by clients meanwhile, is fetched once (COALESCED), cluster-wide;
    - and through the upstream budget: a fetch it refuses is reported, never forced;
    - at most WARM_CONCURRENCY fetches at once, each city's result reported in order;
    - each answer is read back from `shared` (where every instance reads), so `stored`
      says whether the warm reached them: GetWeather answers even when it could not store."""

    def __init__(
        self, get_weather: GetWeather, shared: WeatherStore, *, concurrency: int = WARM_CONCURRENCY
    ) -> None:
        self._get_weather = get_weather
        self._shared = shared
        self._slots = asyncio.Semaphore(concurrency)

    async def __call__(self, queries: Sequence[WeatherQuery]) -> list[Warmed]:
        return list(await asyncio.gather(*(self._warm(query) for query in queries)))

    async def _warm(self, query: WeatherQuery) -> Warmed:
        async with self._slots:
            try:
                outcome = (await self._get_weather(query)).outcome.value
            except CityNotFound:
                outcome = "not_found"
            except UpstreamUnavailable as error:
                return Warmed(display_name(query), "failed", str(error))
        if not await self._stored(query):
            return Warmed(display_name(query), outcome, NOT_STORED, stored=False)
        return Warmed(display_name(query), outcome, stored=True)

    async def _stored(self, query: WeatherQuery) -> bool:
        try:
            return await self._shared.get(query.key) is not None
        except CacheUnavailable:
            return False
