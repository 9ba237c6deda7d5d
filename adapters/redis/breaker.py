"""A circuit breaker for Redis: while it is down, stop asking it on every request.

One breaker is shared by every Redis adapter of a process (the cache and lock behind it in
breaker_stores.py, the metrics, the gateway store, the budget windows), so they agree on
whether Redis is up and probe it once, not once each. On a Redis Cluster a city's calls go
through the circuit of the shard that serves the city: a shard that fails over does not
turn the others away.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.circuit import Circuit
from adapters.redis.errors import unavailable_on_error
from domain.model.errors import CacheUnavailable
from ports.clock import Clock


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


class _GuardedCall(unavailable_on_error):
    """One call through the breaker: refused at once while its circuit is open; how it
    ended, as the one translation of Redis errors judges it, moves the circuit."""

    __slots__ = ("_circuit", "_probe")

    def __init__(self, circuit: Circuit, what: str) -> None:
        self._what = what  # not super().__init__: this runs on every Redis hit
        self._circuit = circuit
        self._probe = False

    def __enter__(self) -> None:
        circuit = self._circuit
        if circuit.refuses() is not None:
            raise CacheUnavailable(f"redis {self._what} skipped: breaker open")
        self._probe = circuit.admit()

    def ended(self, healthy: bool | None) -> None:
        circuit = self._circuit
        if healthy:
            circuit.succeeded()
        elif healthy is False:
            circuit.failed()
        # However it ended, cancelled included: a probe that ended must not stay taken.
        if self._probe:
            circuit.release()


def guard_of(breaker: RedisBreaker | None) -> Callable[[str], unavailable_on_error]:
    """How an adapter guards its Redis calls: behind the shared breaker when given, so
    that while Redis is down no call waits on it; either way, errors become CacheUnavailable."""
    return breaker.call if breaker is not None else unavailable_on_error
