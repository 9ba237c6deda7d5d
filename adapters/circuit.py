"""Circuit: the closed / open / half-open state machine that every breaker runs.

Both breakers use it: the upstream's (resilience/circuit_breaker.py) and the one Redis
breaker of a process (redis/breaker.py). It lives outside both adapter packages so that
neither imports the other; each raises its own domain error when a call is turned away.
"""

from __future__ import annotations

import enum

from ports.clock import Clock


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Circuit:
    """Rules:
    - closed: every call goes through; `failures` consecutive failures open it;
    - open: calls are turned away, with no I/O, for `reset_s` seconds;
    - then half-open: exactly one caller is admitted as the probe, the rest are turned
      away; a successful probe closes the circuit, a failed one opens it for `reset_s` again;
    - a call that tells nothing (cancelled, refused before any I/O) is `released`: it
      frees the probe slot and changes no count.
    """

    __slots__ = ("_clock", "_failures", "_open_until", "_probing", "_reset_s", "_threshold")

    def __init__(self, clock: Clock, *, failures: int, reset_s: float) -> None:
        self._clock = clock  # its monotonic reading: a cooldown is a duration in this process
        self._threshold = max(failures, 1)
        self._reset_s = reset_s
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._open_until is None:
            return BreakerState.CLOSED
        if self._clock.monotonic() < self._open_until:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def closed(self) -> bool:
        """Neither open nor half-open: no failure run has tripped it."""
        return self._open_until is None

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def refuses(self) -> BreakerState | None:
        """Why a call would be turned away now (OPEN, or HALF_OPEN with a probe in
        flight), else None; claims nothing."""
        if self._open_until is None:  # the hot path: one attribute read
            return None
        state = self.state
        if state is BreakerState.OPEN or self._probing:
            return state
        return None

    def admit(self) -> bool:
        """Claim the probe slot when half-open; True when this call is the probe. Call it
        only after `refuses()` returned None."""
        if self._open_until is None:
            return False
        self._probing = True
        return True

    def remaining_s(self) -> float:
        """How long the circuit stays open; 0 when it is not."""
        if self._open_until is None:
            return 0.0
        return max(self._open_until - self._clock.monotonic(), 0.0)

    def succeeded(self) -> None:
        self._failures = 0
        self._open_until = None
        self._probing = False

    def failed(self) -> None:
        self._failures += 1
        if self._probing or self._open_until is not None or self._failures >= self._threshold:
            self._open_until = self._clock.monotonic() + self._reset_s
        self._probing = False

    def release(self) -> None:
        self._probing = False
