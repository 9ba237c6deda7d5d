"""Cache admin: purge one city, warm a list of cities."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery, display_name
from domain.use_cases.get_weather import GetWeather
from ports.cache import Cache

# How many warm fetches one call runs at once; the provider's own cap still applies.
WARM_CONCURRENCY = 4


class PurgeCity:
    """Forgets a city's weather in the shared cache and in this process's last good copy.

    Every worker and instance sharing the cache misses on its next request, once its near
    cache (about a second, NEAR_CACHE_TTL) lets go; another worker's last good copy may
    still answer while the upstream fails, as it would after a flush."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def __call__(self, query: WeatherQuery) -> None:
        await self._cache.delete(query.key)


@dataclass(frozen=True, slots=True)
class Warmed:
    city: str
    outcome: str  # the X-Cache it would have had (MISS: fetched now), or "not_found"/"failed"
    detail: str | None = None


class WarmCities:
    """Makes sure each city is in the cache: a request for it through GetWeather.

    - a city already fresh costs nothing (HIT); a missing one is fetched (MISS);
    - through GetWeather, so through the stampede guard: a city named twice, or asked for
      by clients meanwhile, is fetched once (COALESCED), cluster-wide;
    - and through the upstream budget: a fetch it refuses is reported, never forced;
    - at most WARM_CONCURRENCY fetches at once, each city's result reported in order."""

    def __init__(self, get_weather: GetWeather, *, concurrency: int = WARM_CONCURRENCY) -> None:
        self._get_weather = get_weather
        self._slots = asyncio.Semaphore(concurrency)

    async def __call__(self, queries: Sequence[WeatherQuery]) -> list[Warmed]:
        return list(await asyncio.gather(*(self._warm(query) for query in queries)))

    async def _warm(self, query: WeatherQuery) -> Warmed:
        async with self._slots:
            try:
                result = await self._get_weather(query)
            except CityNotFound:
                return Warmed(display_name(query), "not_found")
            except UpstreamUnavailable as error:
                return Warmed(display_name(query), "failed", str(error))
        return Warmed(display_name(query), result.outcome.value)
