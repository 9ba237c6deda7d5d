"""In-process lock with release notifications, for one process without Redis."""

from __future__ import annotations

import secrets

from adapters.system_clock import SystemClock
from adapters.watchers import Watchers
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal, Watch


class _MemoryLease(Lease):
    def __init__(self, lock: MemoryLock, key: str, token: str, ttl_s: float) -> None:
        self._lock = lock
        self._key = key
        self._token = token
        self._ttl_s = ttl_s

    async def extend(self) -> bool:
        return self._lock.extend(self._key, self._token, self._ttl_s)

    async def release(self, signal: Signal) -> None:
        self._lock.release(self._key, self._token, signal)


class MemoryLock(Lock):
    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._holders: dict[str, tuple[str, float]] = {}
        self._watchers = Watchers()

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        now = self._clock.monotonic()
        holder = self._holders.get(key)
        if holder is not None and holder[1] > now:
            return Held(ttl_s=holder[1] - now)
        token = secrets.token_hex(8)
        self._holders[key] = (token, now + ttl_s)
        return _MemoryLease(self, key, token, ttl_s)

    def watch(self, key: str) -> Watch:
        return self._watchers.watch(key)

    def extend(self, key: str, token: str, ttl_s: float) -> bool:
        holder = self._holders.get(key)
        if holder is None or holder[0] != token or holder[1] <= self._clock.monotonic():
            return False
        self._holders[key] = (token, self._clock.monotonic() + ttl_s)
        return True

    def release(self, key: str, token: str, signal: Signal) -> None:
        holder = self._holders.get(key)
        if holder is None or holder[0] != token:
            return
        del self._holders[key]
        self._watchers.notify(key, signal)
