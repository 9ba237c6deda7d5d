"""A lock that falls back to a second one while the first is unreachable.

Wired as the Redis lock with the host lock (adapters/host/lock.py) behind it: during a
Redis outage or failover the workers of one instance still agree on one fetch per city,
where StampedeGuard alone coalesces only inside each worker.
"""

from __future__ import annotations

import asyncio

from adapters.shared_else_local import shared_else_local
from domain.model.errors import CacheUnavailable
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal, Watch

# While the local lock may not grant yet, a waiter asks again this soon: its "held" names
# no holder, and the shared lock is back, most often, long before the local one grants.
RECHECK_S = 0.25


class FallbackLock(Lock):
    """Shared, else local (adapters/shared_else_local.py): acquires from `shared`, or from
    `local` when `shared` raises CacheUnavailable.

    A watch listens to both: the lease it waits on may have come from either, and whichever
    speaks first wins. A worker that still reaches the primary while a sibling has fallen
    back (the moments around an outage's start and end) may fetch alongside it: one fetch
    per lock, at most two per instance, only then.

    The local lock grants nothing before `shared` has been unreachable for one lease TTL
    and `breaker_reset_s`: a lease `shared` granted before the outage (here or on another
    host) lapses within the TTL, and a breaker in front of `shared` may refuse it for one
    more cooldown after it came back. Most outages (a restart, a failover) end sooner, so
    their fetches wait for the shared lock instead of running once per host. Meanwhile
    it answers Held for at most RECHECK_S: a waiter told to sleep the whole wait would go
    on sleeping after the shared lock came back, and that blind wait, with an owner's
    whole fetch after it, outlasted the waiter's deadline."""

    def __init__(
        self, shared: Lock, local: Lock, *, clock: Clock, breaker_reset_s: float = 0.0
    ) -> None:
        self._shared = shared
        self._local = local
        self._clock = clock
        self._breaker_reset_s = breaker_reset_s
        self._down_since: float | None = None

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        return await shared_else_local(
            lambda: self._shared_acquire(key, ttl_s), lambda _: self._local_acquire(key, ttl_s)
        )

    async def _shared_acquire(self, key: str, ttl_s: float) -> Lease | Held:
        attempt = await self._shared.acquire(key, ttl_s)
        self._down_since = None
        return attempt

    async def _local_acquire(self, key: str, ttl_s: float) -> Lease | Held:
        now = self._clock.monotonic()
        if self._down_since is None:
            self._down_since = now
        if (wait_s := self._down_since + ttl_s + self._breaker_reset_s - now) > 0:
            return Held(ttl_s=min(wait_s, RECHECK_S))
        return await self._local.acquire(key, ttl_s)

    def watch(self, key: str) -> Watch:
        local = self._local.watch(key)
        try:
            shared = self._shared.watch(key)
        except CacheUnavailable:
            return local
        return _EitherWatch(shared, local)


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
