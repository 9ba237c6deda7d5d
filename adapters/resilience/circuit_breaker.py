"""CircuitBreaker: stop calling an upstream that keeps failing, and probe it now and then."""

from __future__ import annotations

import math

from adapters.circuit import BreakerState, Circuit
from domain.model.errors import UpstreamUnavailable
from ports.clock import Clock

__all__ = ["BreakerState", "CircuitBreaker"]

# What a caller turned away while the single half-open probe runs is told to wait.
PROBE_WAIT_S = 1.0


class CircuitBreaker:
    """One upstream's breaker: the Circuit's rules (adapters/circuit.py), whose refusals
    are UpstreamUnavailable with how long to wait and the last failure seen."""

    def __init__(self, clock: Clock, *, name: str, failures: int = 5, reset_s: float = 30.0):
        if failures < 1 or reset_s <= 0:
            raise ValueError("a breaker needs failures >= 1 and reset_s > 0")
        # The cool-down is a duration within this process, as for Redis' breaker: the
        # clock's monotonic reading, which a wall-clock step cannot shorten or stretch.
        self._circuit = Circuit(clock, failures=failures, reset_s=reset_s)
        self._name = name
        self._last_failure = ""

    @property
    def state(self) -> BreakerState:
        return self._circuit.state

    @property
    def consecutive_failures(self) -> int:
        return self._circuit.consecutive_failures

    def check(self) -> None:
        """Raise if a call would be turned away now; claims nothing."""
        refused = self._circuit.refuses()
        if refused is BreakerState.OPEN:
            raise self._open_error()
        if refused is BreakerState.HALF_OPEN:
            raise UpstreamUnavailable(
                f"{self._name} circuit half-open: a probe call is in flight",
                retry_after_s=PROBE_WAIT_S,
            )

    def admit(self) -> None:
        """Raise like `check`, else let this call through (as the probe, when half-open)."""
        self.check()
        self._circuit.admit()

    def succeeded(self) -> None:
        self._circuit.succeeded()

    def failed(self, error: Exception) -> None:
        self._last_failure = str(error)
        self._circuit.failed()

    def release(self) -> None:
        self._circuit.release()

    def _open_error(self) -> UpstreamUnavailable:
        remaining = self._circuit.remaining_s()
        return UpstreamUnavailable(
            f"{self._name} circuit open after {self.consecutive_failures} consecutive failures "
            f"(last: {self._last_failure}); next try in {math.ceil(remaining)} s",
            retry_after_s=remaining,
        )
