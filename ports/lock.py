"""Lock port: a cluster-wide lease per key, and a way to be woken when its holder finishes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Signal(enum.Enum):
    """What a watcher learned while it waited."""

    DONE = "done"  # the holder stored a value and released the lease
    FAILED = "failed"  # the holder gave up; nothing new is stored
    TIMEOUT = "timeout"  # nothing was heard; re-check the cache and the lease


class Lease(Protocol):
    """Proof of holding a key's lock; only its owner can extend or release it.

    `fence` orders the fetches made under a key's leases: the shared lock's clock (epoch
    milliseconds) when the lease was granted, the same clock for every host; None when the
    lock has no such clock (one process's, one host's), and the fetch uses the host's."""

    fence: int | None

    async def extend(self) -> bool:
        """Push the expiry out by the lease's TTL; False if the lease was lost."""
        ...

    async def release(self, signal: Signal) -> None:
        """Drop the lock (only if still ours) and tell every watcher how it went."""
        ...


@dataclass(frozen=True, slots=True)
class Held:
    """Someone else holds the lock; it lapses in `ttl_s` unless they extend it."""

    ttl_s: float


class Watch(Protocol):
    async def wait(self, timeout_s: float) -> Signal: ...

    def close(self) -> None: ...


class Lock(Protocol):
    """Implementations raise domain.model.errors.CacheUnavailable when the backend is down."""

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held: ...

    def watch(self, key: str) -> Watch:
        """Start listening for the key's release before trying to acquire, so that a
        release between a failed acquire and the wait is never missed."""
        ...
