"""StampedeGuard: at most one fetch per key, in this process and across the cluster."""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from domain.model.deadlines import Deadlines
from domain.model.errors import CacheUnavailable, UpstreamUnavailable, WaitTimedOut
from domain.use_cases.keepalive import KeepAlive
from ports.clock import Clock
from ports.lock import Held, Lease, Lock, Signal

T = TypeVar("T")
# A fetch, given its lease's fence (Lease.fence: the shared clock when the lease was
# granted), or None without one from a shared clock (no lease, or the host lock's).
Load = Callable[[int | None], Awaitable[T]]
Peek = Callable[[], Awaitable[T | None]]
_DEFAULTS = Deadlines()


class Role(enum.Enum):
    OWNER = "owner"  # this call ran the fetch
    COALESCED = "coalesced"  # another caller's fetch answered this one


class StampedeGuard(Generic[T]):
    """Rules:
    - concurrent callers for one key in this process share a single task;
    - that task takes the key's cluster lease; holders keep it alive while they fetch;
    - everyone else watches the lease and re-reads the cache when woken, or when the
      holder's lease could have lapsed (a dead holder is replaced by exactly one taker);
    - a background refresh that finds the lease held elsewhere is not tried again in this
      process before that lease could have lapsed;
    - waiters never fetch past their deadline: they raise WaitTimedOut instead; that
      deadline outlasts what the owner is allowed (domain.model.deadlines);
    - if the lock backend is down, callers still coalesce inside the process.
    """

    def __init__(
        self,
        lock: Lock,
        *,
        clock: Clock,
        lock_ttl_s: float = _DEFAULTS.lease_s,
        wait_timeout_s: float = _DEFAULTS.waiter_s,
    ):
        self._lock = lock
        self._clock = clock
        self._lock_ttl_s = lock_ttl_s
        self._wait_timeout_s = wait_timeout_s
        self._inflight: dict[str, asyncio.Task[tuple[T, Role]]] = {}
        # Per key, the task that forgets it once the other holder's lease could have lapsed.
        self._held_elsewhere: dict[str, asyncio.Task[None]] = {}

    def busy(self, key: str) -> bool:
        """This process fetches `key`, or lately found another holding its lease."""
        return key in self._inflight or key in self._held_elsewhere

    async def run(self, key: str, load: Load[T], peek: Peek[T]) -> tuple[T, Role]:
        """Fetch through `load` unless someone else already is; `peek` reads a usable value."""
        task = self._inflight.get(key)
        if task is not None:
            value, _ = await asyncio.shield(task)
            return value, Role.COALESCED
        task = asyncio.create_task(self._cluster_fetch(key, load, peek))
        self._inflight[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: a caller that disconnects must not cancel the fetch others await.
        return await asyncio.shield(task)

    def _forget(self, key: str, task: asyncio.Task[tuple[T, Role]]) -> None:
        self._inflight.pop(key, None)
        # Retrieve the outcome so an error whose callers all left is not logged as lost.
        if not task.cancelled():
            task.exception()

    async def refresh(self, key: str, load: Load[T], peek: Peek[T]) -> None:
        """Refresh in the background if nobody in the cluster is doing it already."""
        if self.busy(key):
            return
        try:
            attempt = await self._lock.acquire(key, self._lock_ttl_s)
        except CacheUnavailable:
            attempt = None
        if isinstance(attempt, Held):
            # Ask again only once that lease could have lapsed: every stale read would
            # otherwise cost a lock round trip for as long as the other refresh runs.
            lapses_at = self._clock.monotonic() + attempt.ttl_s
            self._held_elsewhere[key] = asyncio.create_task(self._forget_held(key, lapses_at))
            return
        await self._own(attempt, load, peek)

    async def _forget_held(self, key: str, lapses_at: float) -> None:
        remaining = lapses_at - self._clock.monotonic()
        if remaining > 0:
            await self._clock.sleep(remaining)
        self._held_elsewhere.pop(key, None)

    async def _cluster_fetch(self, key: str, load: Load[T], peek: Peek[T]) -> tuple[T, Role]:
        try:
            watch = self._lock.watch(key)
        except CacheUnavailable:
            return await load(None), Role.OWNER
        # The wait deadline stays on the event loop's clock, not the Clock port: the watch
        # waits on the loop's timers (asyncio.wait_for in Watchers, Redis pub/sub), so a
        # deadline on a fake clock would never pass while the watch slept in real time.
        deadline = asyncio.get_running_loop().time() + self._wait_timeout_s
        asks = 0
        try:
            while True:
                try:
                    attempt = await self._lock.acquire(key, self._lock_ttl_s)
                except CacheUnavailable:
                    attempt = None
                if not isinstance(attempt, Held):
                    return await self._own(attempt, load, peek)
                asks += 1
                found = await peek()
                if found is not None:
                    return found, Role.COALESCED
                signal = await watch.wait(self._next_wait(key, deadline, attempt, asks))
                if signal is Signal.FAILED:
                    raise UpstreamUnavailable("the upstream fetch for this city failed")
                found = await peek()
                if found is not None:
                    return found, Role.COALESCED
        finally:
            watch.close()

    def _next_wait(self, key: str, deadline: float, held: Held, asks: int) -> float:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            # What the waiter saw, for the log line of its 503: a lease held that long with
            # no answer landing is a lost answer, not a slow one (docs/TIMING.md).
            raise WaitTimedOut(
                f"timed out waiting for another worker's upstream fetch of {key!r}: its"
                f" lease was held at each of {asks} asks in {self._wait_timeout_s:g} s,"
                f" {held.ttl_s:.2f} s left at the last"
            )
        # Sleep until the holder's lease could have lapsed, so a dead holder is noticed
        # without polling; a live one extends it, and the wake-up signal comes first.
        return min(remaining, held.ttl_s + 0.05)

    async def _own(self, lease: Lease | None, load: Load[T], peek: Peek[T]) -> tuple[T, Role]:
        """Fetch while holding `lease` (None when the lock backend is down)."""
        keepalive = None
        if lease is not None:
            keepalive = KeepAlive([lease], clock=self._clock, ttl_s=self._lock_ttl_s)
        signal = Signal.FAILED
        try:
            # Another worker may have stored a value between our miss and our lease.
            found = await peek()
            if found is not None:
                signal = Signal.DONE
                return found, Role.COALESCED
            value = await load(lease.fence if lease is not None else None)
            signal = Signal.DONE
            return value, Role.OWNER
        finally:
            if keepalive is not None:
                await keepalive.stop()  # before the release: no extend may follow it
            if lease is not None:
                with contextlib.suppress(CacheUnavailable):
                    await lease.release(signal)
