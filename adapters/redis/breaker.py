"""A circuit breaker for Redis: while it is down, stop asking it on every request.

One breaker is shared by every Redis adapter of a process (cache, lock, metrics, rate-limit
store), so they agree on whether Redis is up and probe it once, not once each.
"""

from __future__ import annotations

from adapters.circuit import Circuit
from adapters.redis.client import REDIS_ERRORS, unavailable
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from ports.cache import Cache, LocationCache
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Watch


class RedisBreaker:
    """The Circuit's rules (adapters/circuit.py) for Redis: while it is open, calls raise
    CacheUnavailable at once, with no I/O, for `cooldown_s`; then one call is the probe."""

    def __init__(
        self,
        *,
        failures: int = 3,
        cooldown_s: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        # The cooldown is a duration within this process: the clock's monotonic reading.
        clock = clock or SystemClock()
        self._circuit = Circuit(clock.monotonic, failures=failures, reset_s=cooldown_s)

    @property
    def is_open(self) -> bool:
        return not self._circuit.closed

    def call(self, what: str) -> _GuardedCall:
        """Guards one Redis call (`with breaker.call("GET"): ...`); its redis and socket
        errors become CacheUnavailable."""
        return _GuardedCall(self._circuit, what)

    def succeeded(self) -> None:
        self._circuit.succeeded()

    def failed(self) -> None:
        self._circuit.failed()


class _GuardedCall:
    """One call through the breaker. A class rather than @contextmanager: it wraps every
    Redis hit, where a generator-based context manager costs about a microsecond more."""

    __slots__ = ("_circuit", "_probe", "_what")

    def __init__(self, circuit: Circuit, what: str) -> None:
        self._circuit = circuit
        self._what = what
        self._probe = False

    def __enter__(self) -> None:
        circuit = self._circuit
        if circuit.refuses() is not None:
            raise CacheUnavailable(f"redis {self._what} skipped: breaker open")
        self._probe = circuit.admit()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> None:
        circuit = self._circuit
        try:
            if error is None:
                circuit.succeeded()
            elif isinstance(error, REDIS_ERRORS):
                circuit.failed()
                raise unavailable(self._what, error) from error
            elif isinstance(error, CacheUnavailable):
                circuit.failed()
            # Anything else (a cancellation, a bug) says nothing about Redis' health.
        finally:
            # Also when cancelled: a probe that ended, however, must not stay taken.
            if self._probe:
                circuit.release()


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

    async def delete(self, key: str) -> None:
        with self._breaker.call("DEL"):
            await self._inner.delete(key)

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
