"""Each client's requests (RATE_LIMIT) in the shared windows, without a Redis call each.

A worker takes a lease of requests from the client's windows (counted there, in Redis when
it answers, else in this worker's share, before any is admitted) and admits from it
locally until it is used up or a few seconds have passed; what is left is given back when
the next lease is taken. A span of the window can admit over the limit only what leases
counted before it began and used in it: under a tenth of the limit, and nothing while a
lease holds one request (a limit under 20 per worker; docs/OPERATIONS.md, "Per-client rate
limit across workers").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from adapters.redis.shared_budget import SharedWindows, whole
from domain.model.admission import BudgetLimit
from ports.budget import RequestLimit
from ports.clock import Clock

# A lease lasts a twelfth of the unit, at most this long: long enough that a client at a
# few requests a second costs Redis a call every few seconds, short enough that what a
# worker leased and did not use soon goes back.
LEASE_S_MAX = 5.0
# At most a tenth of the limit in all the workers' leases together (the most a span of the
# window can admit over the limit): each lease at most limit ÷ (LEASE_PART x shares).
LEASE_PART = 10
# A refusal is remembered at most this long: a flood costs Redis one call a second per
# worker, and a request given back elsewhere is soon seen.
REFUSAL_S_MAX = 1.0
SWEEP_EVERY_S = 60.0


@dataclass(slots=True)
class Lease:
    taken_at: float
    ends: float
    size: int
    left: int
    retry_at: float = 0.0  # a refusal, remembered until `ends`: the wait it was told


class LeasedRequestLimit(RequestLimit):
    """Rules:
    - a lease starts at one request and doubles each time it is used up before it ends,
      up to the limit ÷ (LEASE_PART x shares); one that ends unused sizes the next;
    - a lease lasts a twelfth of the unit, at most LEASE_S_MAX;
    - a lease refused by the windows is asked again for one request: near the limit every
      request is counted in the windows, so exactly the limit is admitted;
    - a refusal is remembered for its wait, at most REFUSAL_S_MAX;
    - one renewal per client at a time in this worker: the others wait for its lease.
    """

    def __init__(self, limit: BudgetLimit, windows: SharedWindows, clock: Clock) -> None:
        self._ceilings = whole(limit, windows.shares)
        self._lasts_s = min(limit.period_s / 12, LEASE_S_MAX)
        self._most = max(limit.calls // (LEASE_PART * windows.shares), 1)
        self._windows = windows
        self._clock = clock
        self._leases: dict[str, Lease] = {}
        self._renewing: dict[str, asyncio.Future[None]] = {}
        self._next_sweep = 0.0

    async def admit(self, client: str) -> float | None:
        while True:
            now = self._clock.now()
            lease = self._leases.get(client)
            if lease is not None and now < lease.ends:
                if lease.left > 0:
                    lease.left -= 1
                    return None
                if lease.retry_at > now:
                    return lease.retry_at - now
            renewing = self._renewing.get(client)
            if renewing is None:
                return await self._renew(client, lease, now)
            await asyncio.wait((renewing,))  # not cancelled with this request

    async def _renew(self, client: str, old: Lease | None, now: float) -> float | None:
        done = asyncio.get_running_loop().create_future()
        self._renewing[client] = done
        try:
            size = self._next_size(old, now)
            if old is not None and old.left > 0:
                # Given back first (taken from the lease before any await, so only once):
                # near the limit another worker may be the one that needs them.
                left, old.left = old.left, 0
                await self._windows.refund(client, self._ceilings, old.taken_at, left)
            return await self._take(client, size, now)
        finally:
            del self._renewing[client]
            done.set_result(None)

    async def _take(self, client: str, size: int, now: float) -> float | None:
        verdict = await self._windows.spend(client, self._ceilings, now, size)
        if not verdict.granted and size > 1:
            size = 1
            verdict = await self._windows.spend(client, self._ceilings, now, size)
        self._sweep(now)
        if not verdict.granted:
            # Remembered a while: a client over its limit costs no Redis call per request.
            retry_at = now + verdict.wait_s
            ends = min(retry_at, now + REFUSAL_S_MAX)
            self._leases[client] = Lease(now, ends, 0, 0, retry_at)
            return verdict.wait_s
        self._leases[client] = Lease(now, now + self._lasts_s, size, size - 1)
        return None

    def _next_size(self, old: Lease | None, now: float) -> int:
        if old is None or now >= old.ends + self._lasts_s:
            return 1  # new, or back after a pause: its old pace says nothing
        used = old.size - old.left
        return max(min(used * 2 if used == old.size else used, self._most), 1)

    def _sweep(self, now: float) -> None:
        """Once a minute, forget ended leases: clients come and go. Their unused requests
        stay counted until the windows forget them (refused early, never admitted over)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_S
        for client in [c for c, lease in self._leases.items() if now >= lease.ends]:
            del self._leases[client]
