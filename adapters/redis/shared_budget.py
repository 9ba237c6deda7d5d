"""The upstream budget and the per-client miss budget: Redis when it answers, else a share.

While Redis is down (or the backend is memory) each process counts alone, against its
share of every limit: the limit divided by `shares`, the number of processes that share
the upstream's quota (UPSTREAM_BUDGET_SHARES, else this instance's worker count).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import TypeVar

from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import Ask, RedisWindows
from adapters.redis.budget_refusals import Refusals
from adapters.redis.budget_windows import Ceiling, Ceilings, LocalWindows, Verdict
from domain.model.admission import PROBE_EVERY_S, Admission, BudgetLimit, Priority
from domain.model.errors import CacheUnavailable, TooManyMisses, UpstreamBudgetSpent
from ports.budget import MissBudget, UpstreamBudget
from ports.clock import Clock


class SharedWindows:
    """Sliding windows in Redis, behind the shared breaker; this process's share without:
    shared, else local (adapters/shared_else_local.py)."""

    def __init__(
        self,
        *,
        shares: int = 1,
        redis: RedisWindows | None = None,
        breaker: RedisBreaker | None = None,
        probe_every_s: float = PROBE_EVERY_S,
    ) -> None:
        self.shares = max(shares, 1)
        self._redis = redis
        self._breaker = breaker
        self._local = LocalWindows(probe_every_s)
        self._refusals = Refusals()

    def _guarded(self, what: str) -> contextlib.AbstractContextManager[None]:
        return self._breaker.call(what) if self._breaker else contextlib.nullcontext()

    async def spend(self, name: str, ceilings: Ceilings, now: float, cost: int = 1) -> Verdict:
        """`cost` calls at once, all or none: the shared ceilings apply in Redis, the own
        (the shares) when counting alone."""
        own = ceilings.own
        if self._redis is not None:
            try:
                with self._guarded("budget"):
                    mine = self._local.mine(name, own, now)
                    ask = Ask(ceilings.shared, own, mine, self.shares)
                    verdict = await self._redis.spend(name, ask, now, cost)
            except CacheUnavailable as error:
                if _may_have_run(error):
                    # The script may have counted the call before its reply was lost: count
                    # it here too, so this worker's share never admits what Redis granted.
                    self._local.count(name, own, now, cost)
            else:
                if verdict.granted:
                    # Also counted here: if Redis fails mid-window, this worker's share
                    # starts from what it has already spent, not from nothing.
                    self._local.count(name, own, now, cost)
                else:
                    self._refusals.refused((name, ceilings.shared), now + verdict.wait_s)
                return verdict
            # Alone, this worker knows only its own spend: what Redis last refused stays
            # refused (adapters/redis/budget_refusals.py).
            wait = self._refusals.wait_s((name, ceilings.shared), now)
            if wait > 0:
                return Verdict(False, wait_s=wait)
        return self._local.spend(name, own, now, cost)

    async def refund(self, name: str, ceilings: Ceilings, at: float, cost: int = 1) -> None:
        """Take back `cost` calls granted at `at`: they were never made."""
        self._local.uncount(name, ceilings.own, at, cost)
        if self._redis is not None:
            with contextlib.suppress(CacheUnavailable), self._guarded("budget refund"):
                await self._redis.refund(name, ceilings.shared, at, cost)

    async def close(self, name: str, until: float, now: float) -> None:
        # Locally too: a Redis outage later must not forget that the upstream is closed.
        self._local.close(name, until, now)
        if self._redis is not None:
            with contextlib.suppress(CacheUnavailable), self._guarded("budget close"):
                await self._redis.close(name, until, now)

    async def reopen(self, name: str) -> None:
        self._local.reopen(name)
        if self._redis is not None:
            with contextlib.suppress(CacheUnavailable), self._guarded("budget reopen"):
                await self._redis.reopen(name)


def _may_have_run(error: CacheUnavailable) -> bool:
    """A timed-out command may have run on the server; a refused connection or an open
    breaker (no cause from the driver) never reached it."""
    return isinstance(error.__cause__, TimeoutError | RedisTimeoutError)


def cost_of(weight: float) -> int:
    """Windows count whole calls: a fractional weight is rounded up, never under-counted."""
    return max(math.ceil(weight - 1e-9), 1)


def share(limit: BudgetLimit, shares: int) -> BudgetLimit:
    """One process's part of `limit`; rounded down, but never nothing at all."""
    return BudgetLimit(max(limit.calls // shares, 1), limit.period_s, limit.label)


def whole(limit: BudgetLimit, shares: int) -> Ceilings:
    """`limit` as one window every call may fill, and this process's share of it."""
    own = share(limit, shares)
    return Ceilings((Ceiling(limit, limit.calls),), (Ceiling(own, own.calls),))


Refusal = TypeVar("Refusal", UpstreamBudgetSpent, TooManyMisses)


def _refused(error: type[Refusal], verdict: Verdict, why: str) -> Refusal:
    """`error` saying `why`, then the seconds until the window has room (at least one)."""
    wait = max(verdict.wait_s, 1.0)
    return error(f"{why} {math.ceil(wait)} s", retry_after_s=wait)


class SharedUpstreamBudget(UpstreamBudget):
    """`limits` per upstream name; a name without limits is unlimited (but may be closed)."""

    def __init__(
        self,
        limits: Mapping[str, tuple[BudgetLimit, ...]],
        windows: SharedWindows,
        clock: Clock,
        admission: Admission | None = None,
    ) -> None:
        self._limits = limits
        self._windows = windows
        self._clock = clock
        self._admission = admission or Admission()

    def _ceilings(self, limits: tuple[BudgetLimit, ...], priority: Priority) -> tuple[Ceiling, ...]:
        return tuple(Ceiling(limit, self._admission.ceiling(priority, limit)) for limit in limits)

    async def spend(self, upstream: str, priority: Priority, weight: float = 1.0) -> bool:
        limits = self._limits.get(upstream, ())
        own = tuple(share(limit, self._windows.shares) for limit in limits)
        ceilings = Ceilings(self._ceilings(limits, priority), self._ceilings(own, priority))
        verdict = await self._windows.spend(upstream, ceilings, self._clock.now(), cost_of(weight))
        if not verdict.granted:
            why = f"{upstream} upstream budget has no room for {priority.value} calls now; next in"
            raise _refused(UpstreamBudgetSpent, verdict, why)
        return verdict.probe

    async def close(self, upstream: str, until: float) -> None:
        await self._windows.close(upstream, until, self._clock.now())

    async def reopen(self, upstream: str) -> None:
        await self._windows.reopen(upstream)


class ClientMissBudget(MissBudget):
    """Each client's fetches (its misses, and the refreshes its reads start), within `limit`."""

    def __init__(self, limit: BudgetLimit, windows: SharedWindows, clock: Clock) -> None:
        self._ceilings = whole(limit, windows.shares)
        self._limit = limit
        self._windows = windows
        self._clock = clock

    async def take(self, client: str, weight: float = 1.0) -> float:
        now = self._clock.now()
        verdict = await self._windows.spend(client, self._ceilings, now, cost_of(weight))
        if not verdict.granted:
            why = (
                f"more than {self._limit.calls} upstream fetches per {self._limit.label} "
                "for this client; cached cities are still answered; retry in"
            )
            raise _refused(TooManyMisses, verdict, why)
        return now

    async def refund(self, client: str, taken_at: float) -> None:
        await self._windows.refund(client, self._ceilings, taken_at)
