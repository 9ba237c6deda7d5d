"""ObservedLock: a Lock decorator that reports contention and how long waiters waited."""

from __future__ import annotations

from collections.abc import Callable

from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal, Watch

OnWait = Callable[[Signal, float], None]


class ObservedLock(Lock):
    """`on_contended()` when a lease is already held; `on_wait(signal, seconds)` per wait."""

    def __init__(
        self, inner: Lock, clock: Clock, *, on_contended: Callable[[], None], on_wait: OnWait
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._on_contended = on_contended
        self._on_wait = on_wait

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        attempt = await self._inner.acquire(key, ttl_s)
        if isinstance(attempt, Held):
            self._on_contended()
        return attempt

    def watch(self, key: str) -> Watch:
        return _ObservedWatch(self._inner.watch(key), self._clock, self._on_wait)


class _ObservedWatch(Watch):
    def __init__(self, inner: Watch, clock: Clock, on_wait: OnWait) -> None:
        self._inner = inner
        self._clock = clock
        self._on_wait = on_wait

    async def wait(self, timeout_s: float) -> Signal:
        started = self._clock.monotonic()
        signal = await self._inner.wait(timeout_s)
        self._on_wait(signal, self._clock.monotonic() - started)
        return signal

    def close(self) -> None:
        self._inner.close()
