"""CircuitBreaker: stop calling an upstream that keeps failing, and probe it now and then."""

from __future__ import annotations

import enum
import math

from domain.model.errors import UpstreamUnavailable
from ports.clock import Clock

# What a caller turned away while the single half-open probe runs is told to wait.
PROBE_WAIT_S = 1.0


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Rules:
    - closed: every call goes through; `failures` consecutive failures open it;
    - open: calls fail fast, no upstream call, for `reset_s` seconds;
    - then half-open: exactly one caller is admitted as the probe, the rest fail fast;
      a successful probe closes the breaker, a failed one opens it for `reset_s` again;
    - a call that tells nothing about the upstream (cancelled, rate-limited, not even
      started) is `released`: it frees the probe slot and changes no count.
    """

    def __init__(self, clock: Clock, *, name: str, failures: int = 5, reset_s: float = 30.0):
        if failures < 1 or reset_s <= 0:
            raise ValueError("a breaker needs failures >= 1 and reset_s > 0")
        self._clock = clock
        self._name = name
        self._threshold = failures
        self._reset_s = reset_s
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False
        self._last_failure = ""

    @property
    def state(self) -> BreakerState:
        if self._open_until is None:
            return BreakerState.CLOSED
        if self._clock.now() < self._open_until:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def check(self) -> None:
        """Raise if a call would be turned away now; claims nothing."""
        state = self.state
        if state is BreakerState.OPEN:
            raise self._open_error()
        if state is BreakerState.HALF_OPEN and self._probing:
            raise UpstreamUnavailable(
                f"{self._name} circuit half-open: a probe call is in flight",
                retry_after_s=PROBE_WAIT_S,
            )

    def admit(self) -> None:
        """Raise like `check`, else let this call through (as the probe, when half-open)."""
        self.check()
        if self.state is BreakerState.HALF_OPEN:
            self._probing = True

    def succeeded(self) -> None:
        self._failures = 0
        self._open_until = None
        self._probing = False

    def failed(self, error: Exception) -> None:
        self._failures += 1
        self._last_failure = str(error)
        if self._probing or self._failures >= self._threshold:
            self._open_until = self._clock.now() + self._reset_s
        self._probing = False

    def release(self) -> None:
        self._probing = False

    def _open_error(self) -> UpstreamUnavailable:
        assert self._open_until is not None
        remaining = max(self._open_until - self._clock.now(), 0.0)
        return UpstreamUnavailable(
            f"{self._name} circuit open after {self._failures} consecutive failures "
            f"(last: {self._last_failure}); next try in {math.ceil(remaining)} s",
            retry_after_s=remaining,
        )
