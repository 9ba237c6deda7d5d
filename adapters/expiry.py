"""Expiry times in a heap, so the entries past theirs are found without looking at the others.

A bounded cache that drops an expired entry only when it is read again, or when the LRU
bound pushes it out, keeps every entry nobody asks for again (an unknown name's negative
entry, a point asked once) until the bound is reached: its memory grows for hours like a
leak, though it is bounded. Sweeping a few due keys on each write keeps it to the live
entries at the cost of a few heap pops per write (docs/SOAK.md, "What a worker holds").
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Protocol

# Due keys examined per write: more than the one key a write adds, so a backlog of due
# keys (after a burst of writes with one TTL) shrinks on every later write.
SWEEP_PER_WRITE = 4
# A key rewritten before it expires leaves its old time in the heap; past this many times
# the size of the cache (and this slack), the heap is rebuilt from the live times alone.
REBUILD_FACTOR = 2
REBUILD_SLACK = 64


class Expiring(Protocol):
    """A cache whose entries have expiry times, as the heap's owner."""

    def expires_at(self, key: str) -> float | None: ...

    def forget(self, key: str) -> None: ...

    def expiry_times(self) -> Iterable[tuple[float, str]]: ...

    def __len__(self) -> int: ...


class ExpiryHeap:
    """(expires at, key) pairs, soonest first. A pair may be outdated (the key rewritten
    with a later time, evicted or forgotten): its cache is asked before a key is dropped.
    `examined` counts the pairs popped and rebuilt: the sweep's work, for its tests."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self.examined = 0

    def add(self, key: str, expires_at: float) -> None:
        heapq.heappush(self._heap, (expires_at, key))

    def sweep(self, now: float, cache: Expiring) -> None:
        """After a write: drops at most SWEEP_PER_WRITE keys whose time has come (expiry
        at or before `now`, as a read would see them), and rebuilds an outgrown heap."""
        heap = self._heap
        for _ in range(SWEEP_PER_WRITE):
            if not heap or heap[0][0] > now:
                break
            self.examined += 1
            key = heapq.heappop(heap)[1]
            expires_at = cache.expires_at(key)
            if expires_at is not None and expires_at <= now:
                cache.forget(key)
        # Amortised O(1) per write: a rebuild of n pairs follows at least n adds.
        if len(heap) > REBUILD_FACTOR * len(cache) + REBUILD_SLACK:
            self._heap = list(cache.expiry_times())
            heapq.heapify(self._heap)
            self.examined += len(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
