"""Cache ports: weather entries per city, and geocoded locations."""

from __future__ import annotations

from typing import Protocol

from domain.model.entry import CacheEntry
from domain.model.weather import Location


class Cache(Protocol):
    """Stores one CacheEntry per normalised city key.

    Implementations raise domain.model.errors.CacheUnavailable when the backend is down, and
    treat an unreadable entry (garbage, another version, truncated) as a miss.
    """

    async def get(self, key: str) -> CacheEntry | None: ...

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None: ...

    async def ping(self) -> bool: ...

    async def delete(self, key: str) -> None:
        """Forget the entry for `key`, and this process's last good copy of it; nothing
        to do when there is none. Raises CacheUnavailable when the backend is down."""
        ...

    async def last_good(self, key: str) -> CacheEntry | None:
        """The last entry with weather this process holds for `key`, even one the shared
        backend no longer has (flushed, restarted empty); None if it holds none. Never does
        I/O against a shared backend and never raises CacheUnavailable."""
        ...


class LocationCache(Protocol):
    """Stores geocoding results, which change far more slowly than weather."""

    async def get_location(self, key: str) -> Location | None: ...

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None: ...
