"""Keeping leases alive while their holder fetches: one mechanism for every holder."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from domain.model.errors import CacheUnavailable
from ports.clock import Clock
from ports.lock import Lease

# After an extend failed on the lock backend, the next try comes this soon: a Redis that
# restarted empty lost every lease, and each holder must re-assert its own (the extend
# sets a missing lease again) within the quiet period that holds new leases back
# (adapters/redis/lease_epoch.py), not at its next regular tick.
REASSERT_S = 0.1


@dataclass(slots=True)
class Control:
    """Between a keep-alive loop and its holder: stop asked, an extend in flight."""

    stopped: bool = False
    extending: bool = False


async def keep_alive(
    leases: Sequence[Lease], *, clock: Clock, ttl_s: float, control: Control | None = None
) -> None:
    """Extend each lease every third of its TTL until cancelled or `control.stopped`; a
    lease another took (extend False) is dropped, one the backend could not reach is tried
    again soon."""
    control = control or Control()
    live = list(leases)
    pause = ttl_s / 3
    while live and not control.stopped:
        await clock.sleep(pause)
        pause = ttl_s / 3
        for lease in list(live):
            if control.stopped:
                return
            control.extending = True
            try:
                if not await lease.extend():
                    live.remove(lease)
            except CacheUnavailable:
                pause = min(pause, REASSERT_S)
            finally:
                control.extending = False


class KeepAlive:
    """keep_alive in a task, from construction until `stop()`.

    A cancellation alone does not end it: one that lands as an extend's I/O completes is
    swallowed by asyncio.wait_for on Python 3.11 (redis-py sends each command through it),
    and the loop went on extending for as long as the process lived. The extend script sets
    a missing lease again for its token, so the city stayed "held" long after its holder
    released it, and every reader of it waited out its deadline. So `stop()` also sets a
    flag the loop reads before every extend, and waits for an extend in flight to end: the
    holder's release is then the lease's last word."""

    def __init__(self, leases: Sequence[Lease], *, clock: Clock, ttl_s: float) -> None:
        self._control = Control()
        alive = keep_alive(leases, clock=clock, ttl_s=ttl_s, control=self._control)
        self._task = asyncio.create_task(alive)

    async def stop(self) -> None:
        self._control.stopped = True
        self._task.cancel()
        if self._control.extending:  # asleep, it extends no more: nothing to wait for
            await asyncio.wait([self._task])
