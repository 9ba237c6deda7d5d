"""A shared cache with a bounded in-process copy of the last known good entries.

While the shared cache (Redis) is down, every city this process has read or written is
still answered from its own copy, fresh or stale as the entry's timestamps say, so an
outage of Redis and the upstream together costs no 5xx for a city already seen. When
Redis answers but has lost the entry (flushed, restarted empty, evicted), the same copy is
the `last_good` one GetWeather serves if the fetch then fails. Entries other processes write
are heard too (`keep_heard`, from the copies channel: adapters/redis/copies_feed.py), so
the copy covers every city the deployment answered, not only those this process read.
"""

from __future__ import annotations

from adapters.memory.cache import MemoryCache
from adapters.shared_else_local import local_or_raise
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from ports.cache import LastGoodReader, LocationStore, WeatherStore
from ports.clock import Clock

# A location read from the shared cache comes without its TTL; cities do not move.
LOCATION_COPY_TTL_S = 86_400.0


class FallbackCache(WeatherStore, LastGoodReader, LocationStore):
    """Shared, else local (adapters/shared_else_local.py). Rules:
    - writes go to the local copy, then to the shared cache (whose errors still surface);
    - reads come from the shared cache, and every entry read is copied locally;
    - only when the shared cache is unavailable are reads answered by the local copy;
      with no local copy either, CacheUnavailable is raised as before;
    - the local copy is an LRU of `max_items`, each kept no longer than the entry lives;
    - an entry without weather (unknown or unusable) never replaces a local copy with
      weather: that copy is the last good one, worth more than a 502 or a 404;
    - nor does an entry from an older fetch (a lower fence) replace a live local copy,
      read, written or heard (MemoryCache's rule);
    - an entry heard from another process is kept by the same rules, until its stale end;
      a purge heard drops the copy.
    """

    def __init__(
        self,
        shared: WeatherStore,
        shared_locations: LocationStore,
        *,
        max_items: int = 10_000,
        clock: Clock,
    ) -> None:
        self._shared = shared
        self._shared_locations = shared_locations
        self._clock = clock
        self._local = MemoryCache(max_items=max_items, clock=self._clock)

    async def get(self, key: str) -> CacheEntry | None:
        try:
            entry = await self._shared.get(key)
        except CacheUnavailable as down:
            return local_or_raise(await self._local.get(key), down)
        if entry is not None and not self._local.holds(key, entry):
            # Entries carry epoch timestamps, so the copy can expire with the original.
            ttl_s = max(entry.stale_until - self._clock.now(), 1.0)
            await self._keep(key, entry, ttl_s)
        return entry

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        await self._keep(key, entry, ttl_s)
        await self._shared.put(key, entry, ttl_s)

    async def last_good(self, key: str) -> CacheEntry | None:
        return await self._local.last_good(key)

    async def delete(self, key: str) -> None:
        await self._local.delete(key)  # first: a purged copy must not answer an outage
        await self._shared.delete(key)

    async def keep_heard(self, key: str, entry: CacheEntry) -> None:
        """An entry some process wrote to the shared cache, as that write broadcast it."""
        ttl_s = entry.stale_until - self._clock.now()
        if ttl_s > 0:
            await self._keep(key, entry, ttl_s)

    async def forget_heard(self, key: str) -> None:
        """A purge some process made: its copy must not answer an outage either."""
        await self._local.delete(key)

    async def _keep(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        if entry.weather is None and await self._local.last_good(key) is not None:
            return
        await self._local.put(key, entry, ttl_s)

    async def get_location(self, key: str) -> Location | None:
        try:
            location = await self._shared_locations.get_location(key)
        except CacheUnavailable as down:
            return local_or_raise(await self._local.get_location(key), down)
        if location is not None:
            await self._local.put_location(key, location, LOCATION_COPY_TTL_S)
        return location

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        await self._local.put_location(key, location, ttl_s)
        await self._shared_locations.put_location(key, location, ttl_s)
