"""DecodedEntries: each Redis key's envelope decoded once while it stays the same bytes."""

from __future__ import annotations

import time
from collections.abc import Iterable

from adapters.expiry import Expiring, ExpiryHeap
from adapters.redis.envelope import decode_entry
from domain.model.entry import CacheEntry


class DecodedEntries(Expiring):
    """Redis key -> (the envelope last read there, the entry it decodes to).

    A hot city's envelope is the same bytes on every read until it is rewritten, so it is
    decoded once, not on every hit; and every read of it returns the very same (immutable)
    entry, which lets a caller that keeps entries notice it already holds this one. An
    entry is answered only for the very bytes it came from, so it can never be anything
    Redis no longer holds. One item per key (a rewrite replaces it), and an item whose
    entry is past its stale end is dropped on a later write (adapters/expiry.py), so what
    is held is the keys read lately and still alive, not every version ever read: a
    worker's memory stops growing once its live set is in (docs/SOAK.md)."""

    def __init__(self, max_items: int = 2048) -> None:
        self._items: dict[str, tuple[bytes, CacheEntry]] = {}
        self._max_items = max_items
        self._expiry = ExpiryHeap()

    def decode(self, name: str, raw: bytes) -> CacheEntry:
        held = self._items.get(name)
        if held is not None and held[0] == raw:
            return held[1]
        entry = decode_entry(raw)  # raises on a corrupt envelope, which is not kept
        if held is None and len(self._items) >= self._max_items:
            del self._items[next(iter(self._items))]  # the oldest decoded
        self._items[name] = (raw, entry)
        self._expiry.add(name, entry.stale_until)
        # Entries carry epoch times; the wall clock only decides when memory is let go.
        self._expiry.sweep(time.time(), self)
        return entry

    def expires_at(self, key: str) -> float | None:
        held = self._items.get(key)
        return None if held is None else held[1].stale_until

    def forget(self, key: str) -> None:
        self._items.pop(key, None)

    def expiry_times(self) -> Iterable[tuple[float, str]]:
        return ((entry.stale_until, key) for key, (_, entry) in self._items.items())

    def __len__(self) -> int:
        return len(self._items)
