"""Storage ports: weather entries per city, geocoded locations, the last good copy, health.

Each caller depends on the one it uses, and each decorator implements only the ones whose
behaviour it changes (the composition root hands the same object to several callers)."""

from __future__ import annotations

from typing import Protocol

from domain.model.entry import CacheEntry
from domain.model.weather import Location


class WeatherStore(Protocol):
    """Stores one CacheEntry per normalised city key.

    Implementations raise domain.model.errors.CacheUnavailable when the backend is down, and
    treat an unreadable entry (garbage, another version, truncated) as a miss.
    """

    async def get(self, key: str) -> CacheEntry | None: ...

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None:
        """Forget the entry for `key`, and this process's last good copy of it; nothing
        to do when there is none. Raises CacheUnavailable when the backend is down."""
        ...


class LastGoodReader(Protocol):
    async def last_good(self, key: str) -> CacheEntry | None:
        """The last entry with weather this process holds for `key`, even one the shared
        backend no longer has (flushed, restarted empty); None if it holds none. Never does
        I/O against a shared backend and never raises CacheUnavailable."""
        ...


class StoreHealth(Protocol):
    async def ping(self) -> bool:
        """Whether the backend answers now; never raises."""
        ...


class LocationStore(Protocol):
    """Stores geocoding results, which change far more slowly than weather."""

    async def get_location(self, key: str) -> Location | None: ...

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None: ...


class Cache(WeatherStore, LastGoodReader, StoreHealth, LocationStore, Protocol):
    """Every storage port in one adapter: what the in-memory store offers on its own."""
