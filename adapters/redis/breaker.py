"""A circuit breaker for Redis: while it is down, stop asking it on every request.

One breaker is shared by every Redis adapter of a process (cache, lock, metrics, rate-limit
store), so they agree on whether Redis is up and probe it once, not once each. On a Redis
Cluster a city's calls go through the circuit of the shard that serves the city: a shard
that fails over does not turn the others away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from adapters.circuit import Circuit
from adapters.redis.client import REDIS_ERRORS, unavailable
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from ports.cache import LocationStore, StoreHealth, WeatherStore
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Watch


class RedisBreaker:
    """The Circuit's rules (adapters/circuit.py) for Redis: while it is open, calls raise
    CacheUnavailable at once, with no I/O, for `cooldown_s`; then one call is the probe.

    With `shard_of` (a cluster: a city's key -> the name of the shard serving it now), the
    calls for a city use that shard's circuit; calls without a city (counters, budgets)
    and cities whose shard is unknown use the one circuit of the process."""

    def __init__(
        self,
        *,
        clock: Clock,
        failures: int = 3,
        cooldown_s: float = 1.0,
        shard_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self._clock = clock
        self._failures = failures
        self._cooldown_s = cooldown_s
        self._circuit = self._new()
        self._shard_of = shard_of
        self._shards: dict[str, Circuit] = {}

    def _new(self) -> Circuit:
        return Circuit(self._clock, failures=self._failures, reset_s=self._cooldown_s)

    @property
    def is_open(self) -> bool:
        return not self._circuit.closed

    def call(self, what: str, key: str | None = None) -> _GuardedCall:
        """Guards one Redis call (`with breaker.call("GET", city): ...`); its redis and
        socket errors become CacheUnavailable."""
        if key is None or self._shard_of is None:
            return _GuardedCall(self._circuit, what)
        return _GuardedCall(self._circuit_of(key), what)

    def _circuit_of(self, key: str) -> Circuit:
        shard = self._shard_of(key) if self._shard_of is not None else None
        if shard is None:
            return self._circuit
        circuit = self._shards.get(shard)
        if circuit is None:
            circuit = self._shards[shard] = self._new()  # a new primary starts closed
        return circuit

    def succeeded(self) -> None:
        """Every node answered (a ping): every circuit closes."""
        self._circuit.succeeded()
        for circuit in self._shards.values():
            circuit.succeeded()

    def failed(self) -> None:
        self._circuit.failed()


class _GuardedCall:
    """One call through the breaker. A class rather than @contextmanager: it wraps every
    Redis hit, where a generator-based context manager's extra cost shows
    (docs/BENCHMARKS.md, "What keeps a hit cheap")."""

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
        with self._breaker.call("GET", key):
            return await self._inner.get(key)

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        with self._breaker.call("SET", key):
            await self._inner.put(key, entry, ttl_s)

    async def ping(self) -> bool:
        answered = await self._inner.ping()
        if answered:
            self._breaker.succeeded()
        return answered

    async def delete(self, key: str) -> None:
        with self._breaker.call("DEL"):
            await self._inner.delete(key)

    async def get_location(self, key: str) -> Location | None:
        with self._breaker.call("GET", key):
            return await self._locations.get_location(key)

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        with self._breaker.call("SET", key):
            await self._locations.put_location(key, location, ttl_s)


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
