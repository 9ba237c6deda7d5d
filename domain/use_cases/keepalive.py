"""Keeping leases alive while their holder fetches: one mechanism for every holder."""

from __future__ import annotations

from collections.abc import Sequence

from domain.model.errors import CacheUnavailable
from ports.clock import Clock
from ports.lock import Lease

# After an extend failed on the lock backend, the next try comes this soon: a Redis that
# restarted empty lost every lease, and each holder must re-assert its own (the extend
# sets a missing lease again) within the quiet period that holds new leases back
# (adapters/redis/lease_epoch.py), not at its next regular tick.
REASSERT_S = 0.1


async def keep_alive(leases: Sequence[Lease], *, clock: Clock, ttl_s: float) -> None:
    """Extend each lease every third of its TTL until cancelled; a lease another took
    (extend False) is dropped, one the backend could not reach is tried again soon."""
    live = list(leases)
    pause = ttl_s / 3
    while live:
        await clock.sleep(pause)
        pause = ttl_s / 3
        for lease in list(live):
            try:
                if not await lease.extend():
                    live.remove(lease)
            except CacheUnavailable:
                pause = min(pause, REASSERT_S)
