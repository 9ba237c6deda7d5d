"""In-process lock with release notifications, for one process without Redis."""

from __future__ import annotations

import functools
import secrets

from adapters.lease import BoundLease
from adapters.watchers import Watchers
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal, Watch


class MemoryLock(Lock):
    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._holders: dict[str, tuple[str, float]] = {}
        self._watchers = Watchers()

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        now = self._clock.monotonic()
        holder = self._holders.get(key)
        if holder is not None and holder[1] > now:
            return Held(ttl_s=holder[1] - now)
        token = secrets.token_hex(8)
        self._holders[key] = (token, now + ttl_s)
        return BoundLease(
            extend=functools.partial(self._extend, key, token, ttl_s),
            release=functools.partial(self._release, key, token),
        )

    def watch(self, key: str) -> Watch:
        return self._watchers.watch(key)

    async def _extend(self, key: str, token: str, ttl_s: float) -> bool:
        holder = self._holders.get(key)
        if holder is None or holder[0] != token or holder[1] <= self._clock.monotonic():
            return False
        self._holders[key] = (token, self._clock.monotonic() + ttl_s)
        return True

    async def _release(self, key: str, token: str, signal: Signal) -> None:
        holder = self._holders.get(key)
        if holder is None or holder[0] != token:
            return
        del self._holders[key]
        self._watchers.notify(key, signal)
