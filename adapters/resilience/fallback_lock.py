"""A lock that falls back to a second one while the first is unreachable.

Wired as the Redis lock with the host lock (adapters/host/lock.py) behind it: during a
Redis outage or failover the workers of one instance still agree on one fetch per city,
where StampedeGuard alone coalesces only inside each worker.
"""

from __future__ import annotations

import asyncio

from domain.model.errors import CacheUnavailable
from ports.lock import Held, Lease, Lock, Signal, Watch


class FallbackLock(Lock):
    """Acquires from `primary`, or from `fallback` when `primary` raises CacheUnavailable.

    A watch listens to both: the lease it waits on may have come from either, and whichever
    speaks first wins. A worker that still reaches the primary while a sibling has fallen
    back (the moments around an outage's start and end) may fetch alongside it: one fetch
    per lock, at most two per instance, only then."""

    def __init__(self, primary: Lock, fallback: Lock) -> None:
        self._primary = primary
        self._fallback = fallback

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        try:
            return await self._primary.acquire(key, ttl_s)
        except CacheUnavailable:
            return await self._fallback.acquire(key, ttl_s)

    def watch(self, key: str) -> Watch:
        fallback = self._fallback.watch(key)
        try:
            primary = self._primary.watch(key)
        except CacheUnavailable:
            return fallback
        return _EitherWatch(primary, fallback)


class _EitherWatch(Watch):
    def __init__(self, *watches: Watch) -> None:
        self._watches = watches

    async def wait(self, timeout_s: float) -> Signal:
        waits = [asyncio.ensure_future(watch.wait(timeout_s)) for watch in self._watches]
        try:
            for next_done in asyncio.as_completed(waits):
                signal = await next_done
                if signal is not Signal.TIMEOUT:
                    return signal
            return Signal.TIMEOUT
        finally:
            for wait in waits:
                wait.cancel()
            # Let the cancelled waits end here, not be reported as never retrieved.
            await asyncio.gather(*waits, return_exceptions=True)

    def close(self) -> None:
        for watch in self._watches:
            watch.close()
