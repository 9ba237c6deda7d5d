"""Taking a lease, and hearing a release, in the lock tests."""

from __future__ import annotations

from ports.lock import Held, Lease, Lock, Signal


async def lease_of(lock: Lock, key: str, ttl_s: float = 5.0) -> Lease:
    attempt = await lock.acquire(key, ttl_s)
    assert not isinstance(attempt, Held), "expected to take the lock"
    return attempt


async def heard(watcher: Lock, holder: Lock, key: str, signal: Signal) -> Signal:
    """What a watch of `key` on `watcher` hears (within a second) when `holder` takes the
    key and releases it with `signal`."""
    watch = watcher.watch(key)
    try:
        lease = await lease_of(holder, key)
        await lease.release(signal)
        return await watch.wait(1.0)
    finally:
        watch.close()
