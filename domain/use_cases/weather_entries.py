"""WeatherEntries: the weather store as GetWeather reads and writes it."""

from __future__ import annotations

import contextlib

from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.policy import CachePolicy, Freshness
from domain.model.provenance import ProviderChain
from ports.cache import WeatherStore
from ports.clock import Clock


class WeatherEntries:
    """Rules:
    - only entries the configured providers produced are read (ProviderChain.owns): any
      other, a simulated provider's or another chain's, is a miss, as if it were absent;
    - the cache being down is a miss on read, and a write skipped, never an error;
    - each write is kept as long as the policy says the entry may be served."""

    def __init__(
        self, cache: WeatherStore, chain: ProviderChain, policy: CachePolicy, clock: Clock
    ) -> None:
        self._cache = cache
        self._chain = chain
        self._policy = policy
        self._clock = clock

    async def read(self, key: str) -> CacheEntry | None:
        try:
            entry = await self._cache.get(key)
        except CacheUnavailable:
            return None
        return entry if entry is not None and self._chain.owns(entry) else None

    async def fresh(self, key: str) -> CacheEntry | None:
        """A usable (fresh) entry, or None: stale copies never satisfy a waiting fetch."""
        entry = await self.read(key)
        if entry is None or self._policy.state(entry, self._clock.now()) is not Freshness.FRESH:
            return None
        return entry

    async def write(self, key: str, entry: CacheEntry) -> None:
        ttl_s = self._policy.storage_ttl_s(entry, self._clock.now())
        with contextlib.suppress(CacheUnavailable):
            await self._cache.put(key, entry, ttl_s)
