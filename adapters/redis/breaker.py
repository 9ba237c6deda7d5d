"""A circuit breaker for Redis: while it is down, stop asking it on every request.

One breaker is shared by every Redis adapter of a process (cache, lock, metrics, rate-limit
store), so they agree on whether Redis is up and probe it once, not once each.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.redis.client import REDIS_ERRORS, unavailable
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from ports.cache import Cache, LocationCache
from ports.lock import Held, Lease, Lock, Watch


class RedisBreaker:
    """Rules:
    - closed: every call goes to Redis; `failures` consecutive failures open it;
    - open: calls raise CacheUnavailable at once, with no I/O, for `cooldown_s`;
    - then exactly one call is let through as a probe: success closes the breaker,
      failure opens it for another cool-down; the others keep failing fast meanwhile.
    """

    def __init__(
        self,
        *,
        failures: int = 3,
        cooldown_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = max(failures, 1)
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def call(self, what: str) -> _GuardedCall:
        """Guards one Redis call (`with breaker.call("GET"): ...`); its redis and socket
        errors become CacheUnavailable."""
        return _GuardedCall(self, what)

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()

    def _admit(self, what: str) -> bool:
        """True when this call is the half-open probe."""
        if self._opened_at is None:
            return False
        if self._probing or self._clock() - self._opened_at < self._cooldown_s:
            raise CacheUnavailable(f"redis {what} skipped: breaker open")
        self._probing = True
        return True


class _GuardedCall:
    """One call through the breaker. A class rather than @contextmanager: it wraps every
    Redis hit, where a generator-based context manager costs about a microsecond more."""

    __slots__ = ("_breaker", "_probe", "_what")

    def __init__(self, breaker: RedisBreaker, what: str) -> None:
        self._breaker = breaker
        self._what = what
        self._probe = False

    def __enter__(self) -> None:
        self._probe = self._breaker._admit(self._what)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> None:
        breaker = self._breaker
        try:
            if error is None:
                breaker.succeeded()
            elif isinstance(error, REDIS_ERRORS):
                breaker.failed()
                raise unavailable(self._what, error) from error
            elif isinstance(error, CacheUnavailable):
                breaker.failed()
            # Anything else (a cancellation, a bug) says nothing about Redis' health.
        finally:
            # Also when cancelled: a probe that ended, however, must not stay taken.
            if self._probe:
                breaker._probing = False


class BreakerCache(Cache, LocationCache):
    """A Redis cache behind the breaker. `ping` bypasses it: health checks tell the truth,
    and a successful ping closes the breaker early."""

    def __init__(self, inner: Cache, locations: LocationCache, breaker: RedisBreaker) -> None:
        self._inner = inner
        self._locations = locations
        self._breaker = breaker

    async def get(self, key: str) -> CacheEntry | None:
        with self._breaker.call("GET"):
            return await self._inner.get(key)

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        with self._breaker.call("SET"):
            await self._inner.put(key, entry, ttl_s)

    async def ping(self) -> bool:
        answered = await self._inner.ping()
        if answered:
            self._breaker.succeeded()
        return answered

    async def last_good(self, key: str) -> CacheEntry | None:
        return await self._inner.last_good(key)  # no I/O against Redis: no breaker

    async def get_location(self, key: str) -> Location | None:
        with self._breaker.call("GET"):
            return await self._locations.get_location(key)

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        with self._breaker.call("SET"):
            await self._locations.put_location(key, location, ttl_s)


class BreakerLock(Lock):
    """Acquiring goes through the breaker. Leases already held are extended and released
    directly: a release is once per fetch and frees other workers sooner than expiry."""

    def __init__(self, inner: Lock, breaker: RedisBreaker) -> None:
        self._inner = inner
        self._breaker = breaker

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        with self._breaker.call("lock"):
            return await self._inner.acquire(key, ttl_s)

    def watch(self, key: str) -> Watch:
        return self._inner.watch(key)
