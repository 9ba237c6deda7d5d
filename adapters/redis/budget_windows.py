"""Sliding windows of call counts, in this process: the model the Redis script mirrors.

Each window of `period_s` keeps 60 buckets of counts. A call is admitted when the buckets
that overlap the last `period_s` hold at most `ceiling - cost` calls: counting the whole
of the oldest, partly expired bucket errs on the safe side, so no `period_s`-long span
ever holds more than the limit, whatever the window's phase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from domain.model.admission import BudgetLimit

BUCKETS = 60


@dataclass(frozen=True, slots=True)
class Ceiling:
    """One window, and how far a call of some priority may fill it."""

    limit: BudgetLimit
    ceiling: int

    @property
    def bucket_s(self) -> float:
        return self.limit.period_s / BUCKETS


@dataclass(frozen=True, slots=True)
class Ceilings:
    """A name's windows: `shared` by every process (in Redis), `own` this process's share
    of them, for when it counts alone."""

    shared: tuple[Ceiling, ...]
    own: tuple[Ceiling, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    granted: bool
    probe: bool = False  # the one call let through to a closed upstream
    wait_s: float = 0.0  # when refused: until the call would be admitted


@dataclass(slots=True)
class Closure:
    until: float
    probe_at: float


@dataclass(frozen=True, slots=True)
class Mine:
    """What this process has spent of one name, to put back into a Redis that lost it:
    per window (in the order of the ceilings asked about), its buckets; and its closure."""

    buckets: tuple[tuple[tuple[int, int], ...], ...]
    closure: Closure | None = None


@dataclass(slots=True)
class LocalWindows:
    """The windows of one process; `probe_every_s` spaces the probes of a closed name."""

    probe_every_s: float
    _counts: dict[tuple[str, str], dict[int, int]] = field(default_factory=dict)
    _periods: dict[tuple[str, str], Ceiling] = field(default_factory=dict)
    _closed: dict[str, Closure] = field(default_factory=dict)
    _next_sweep: float = 0.0

    def spend(self, name: str, ceilings: tuple[Ceiling, ...], now: float, cost: int = 1) -> Verdict:
        self._sweep(now)
        probe = False
        closure = self._closed.get(name)
        if closure is not None and now < closure.until:
            if now < closure.probe_at:
                return Verdict(False, wait_s=min(closure.probe_at, closure.until) - now)
            probe = True
        waits = [self._wait_s(name, c, now, cost) for c in ceilings]
        if any(wait > 0 for wait in waits):
            return Verdict(False, wait_s=max(waits))
        self.count(name, ceilings, now, cost)
        if probe and closure is not None:
            closure.probe_at = now + self.probe_every_s
        return Verdict(True, probe=probe)

    def count(self, name: str, ceilings: tuple[Ceiling, ...], now: float, cost: int = 1) -> None:
        """Count calls admitted elsewhere (by the shared windows), unchecked."""
        self._sweep(now)
        for c in ceilings:
            key = (name, c.limit.label)
            buckets = self._counts.setdefault(key, {})
            self._periods[key] = c
            bucket = math.floor(now / c.bucket_s)
            buckets[bucket] = buckets.get(bucket, 0) + cost

    def uncount(self, name: str, ceilings: tuple[Ceiling, ...], at: float, cost: int = 1) -> None:
        """Take back `cost` calls counted at `at`, if their bucket is still kept."""
        for c in ceilings:
            buckets = self._counts.get((name, c.limit.label), {})
            bucket = math.floor(at / c.bucket_s)
            if buckets.get(bucket, 0) > 0:
                buckets[bucket] = max(buckets[bucket] - cost, 0)

    def mine(self, name: str, ceilings: tuple[Ceiling, ...], now: float) -> Mine:
        buckets = tuple(
            tuple(sorted(self._expire((name, c.limit.label), c, now).items())) for c in ceilings
        )
        closure = self._closed.get(name)
        return Mine(buckets, closure if closure is not None and now < closure.until else None)

    def _wait_s(self, name: str, c: Ceiling, now: float, cost: int) -> float:
        """0 when `cost` more calls fit under the ceiling, else the seconds until they do."""
        buckets = self._expire((name, c.limit.label), c, now)
        return wait_s(sorted(buckets.items()), c, now, cost)

    def _expire(self, key: tuple[str, str], c: Ceiling, now: float) -> dict[int, int]:
        buckets = self._counts.get(key, {})
        oldest = math.floor((now - c.limit.period_s) / c.bucket_s)
        for bucket in [b for b in buckets if b < oldest]:
            del buckets[bucket]
        if not buckets:
            self._counts.pop(key, None)
            self._periods.pop(key, None)
        return buckets

    def _sweep(self, now: float) -> None:
        """Once a minute, forget every window left empty: a name per client, and clients
        come and go, so a long outage must not keep them all."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        for key, c in list(self._periods.items()):
            self._expire(key, c, now)

    def close(self, name: str, until: float, now: float) -> None:
        self._closed[name] = Closure(until=until, probe_at=now + self.probe_every_s)

    def reopen(self, name: str) -> None:
        self._closed.pop(name, None)


def wait_s(buckets: list[tuple[int, int]], c: Ceiling, now: float, cost: int) -> float:
    """`buckets`, oldest first, are the (index, count) pairs still in the window."""
    excess = sum(count for _, count in buckets) + cost - c.ceiling
    if excess <= 0:
        return 0.0
    if cost > c.ceiling:
        return c.limit.period_s  # never, at this priority: say so as one whole window
    for bucket, count in buckets:
        excess -= count
        if excess <= 0:
            # The bucket stops overlapping the window once `period_s` has passed its end.
            return (bucket + 1) * c.bucket_s + c.limit.period_s - now
    return c.limit.period_s
