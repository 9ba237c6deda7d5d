"""CachedGeocoder: geocoding results are cached for weeks, since cities do not move.

A decorator of the Geocoder port, like the provider decorators in adapters/resilience: the
composition root wraps a provider's own geocoder in it, so the provider asks a Geocoder and
never reaches into the use cases. Its one domain rule (a place found here is known, so the
calls after it rise to KNOWN) is UpstreamCall.found()."""

from __future__ import annotations

import contextlib

from domain.model.admission import UpstreamCall
from domain.model.errors import CacheUnavailable
from domain.model.query import WeatherQuery
from domain.model.weather import Location
from ports.cache import LocationStore
from ports.provider import Geocoder

THIRTY_DAYS_S = 30 * 86_400.0


class CachedGeocoder(Geocoder):
    """Rules:
    - refreshing a city's weather costs one forecast call, not a geocoding call too;
    - this is the one read of a miss's location: a place found here, or just geocoded, is
      known to exist, so the calls that follow are admitted as KNOWN (UpstreamCall.found).
    """

    def __init__(self, inner: Geocoder, cache: LocationStore, ttl_s: float = THIRTY_DAYS_S):
        self._inner = inner
        self._cache = cache
        self._ttl_s = ttl_s

    async def locate(self, query: WeatherQuery, call: UpstreamCall) -> Location:
        with contextlib.suppress(CacheUnavailable):
            cached = await self._cache.get_location(query.key)
            if cached is not None:
                call.found()
                return cached
        location = await self._inner.locate(query, call)
        call.found()  # the forecast that follows is for a place known to exist
        with contextlib.suppress(CacheUnavailable):
            await self._cache.put_location(query.key, location, self._ttl_s)
        return location
