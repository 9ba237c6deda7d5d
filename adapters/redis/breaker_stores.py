"""The Redis cache and lock behind the shared breaker (adapters/redis/breaker.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from adapters.redis.breaker import RedisBreaker
from domain.model.entry import CacheEntry
from domain.model.weather import Location
from ports.cache import LocationStore, StoreHealth, WeatherStore
from ports.lock import Held, Lease, Lock, Watch


class _Shared(WeatherStore, StoreHealth, Protocol):
    """The Redis cache the breaker guards."""


class BreakerCache(WeatherStore, LocationStore, StoreHealth):
    """A Redis cache behind the breaker. `ping` bypasses it: health checks tell the truth,
    and a successful ping closes the breaker early."""

    def __init__(self, inner: _Shared, locations: LocationStore, breaker: RedisBreaker) -> None:
        self._inner = inner
        self._locations = locations
        self._breaker = breaker

    async def get(self, key: str) -> CacheEntry | None:
        with self._breaker.call("GET", key):  # a hit: no helper frame on this path
            return await self._inner.get(key)

    async def get_location(self, key: str) -> Location | None:
        with self._breaker.call("GET", key):
            return await self._locations.get_location(key)

    async def ping(self) -> bool:
        answered = await self._inner.ping()
        if answered:
            self._breaker.succeeded()
        return answered

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        await self._through("SET", key, partial(self._inner.put, key, entry, ttl_s))

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        put = partial(self._locations.put_location, key, location, ttl_s)
        await self._through("SET", key, put)

    async def delete(self, key: str) -> None:
        await self._through("DEL", None, partial(self._inner.delete, key))

    async def _through(
        self, what: str, key: str | None, call: Callable[[], Awaitable[None]]
    ) -> None:
        # The call is made inside the guard: while the breaker is open it is never started.
        with self._breaker.call(what, key):
            await call()


class BreakerLock(Lock):
    """Acquiring goes through the breaker. Leases already held are extended and released
    directly: a release is once per fetch and frees other workers sooner than expiry."""

    def __init__(self, inner: Lock, breaker: RedisBreaker) -> None:
        self._inner = inner
        self._breaker = breaker

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        with self._breaker.call("lock", key):
            return await self._inner.acquire(key, ttl_s)

    def watch(self, key: str) -> Watch:
        return self._inner.watch(key)
