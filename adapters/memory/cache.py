"""In-process cache: the embedded default when no Redis is reachable, and the unit-test fake."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Generic, TypeVar

from adapters.expiry import Expiring, ExpiryHeap
from domain.model.entry import CacheEntry
from domain.model.weather import Location
from ports.cache import Cache
from ports.clock import Clock

V = TypeVar("V")


class _ExpiringLru(Expiring, Generic[V]):
    """Bounded so a flood of distinct names cannot grow the process without limit, and
    holding live entries only: each write drops a few expired ones, read again or not."""

    def __init__(self, max_items: int, clock: Clock) -> None:
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._max_items = max_items
        self._clock = clock
        self._expiry = ExpiryHeap()

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires_at, value = item
        if expires_at <= self._clock.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def peek(self, key: str) -> V | None:
        """The live value under `key`, without counting as a use."""
        item = self._items.get(key)
        return item[1] if item is not None and item[0] > self._clock.monotonic() else None

    def holds(self, key: str, value: V) -> bool:
        """Whether `value` itself (not an equal copy) is kept, and not expired, under `key`."""
        item = self._items.get(key)
        return item is not None and item[1] is value and item[0] > self._clock.monotonic()

    def put(self, key: str, value: V, ttl_s: float) -> None:
        now = self._clock.monotonic()
        self._items[key] = (now + ttl_s, value)
        self._items.move_to_end(key)
        self._expiry.add(key, now + ttl_s)
        while len(self._items) > self._max_items:
            self._items.popitem(last=False)
        self._expiry.sweep(now, self)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)

    def expires_at(self, key: str) -> float | None:
        item = self._items.get(key)
        return None if item is None else item[0]

    def expiry_times(self) -> Iterable[tuple[float, str]]:
        return ((item[0], key) for key, item in self._items.items())

    def __len__(self) -> int:
        return len(self._items)


class MemoryCache(Cache):
    def __init__(self, max_items: int = 100_000, *, clock: Clock) -> None:
        self._entries: _ExpiringLru[CacheEntry] = _ExpiringLru(max_items, clock)
        self._locations: _ExpiringLru[Location] = _ExpiringLru(max_items, clock)

    async def get(self, key: str) -> CacheEntry | None:
        return self._entries.get(key)

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        """Refused, silently, when the live entry held comes from a newer fetch."""
        held = self._entries.peek(key)
        if held is None or not entry.older_than(held):
            self._entries.put(key, entry, ttl_s)

    def holds(self, key: str, entry: CacheEntry) -> bool:
        """Whether this very entry object is kept: a re-read of an unchanged shared entry
        (the same object, see DecodedEntries) needs no new copy."""
        return self._entries.holds(key, entry)

    async def ping(self) -> bool:
        return True

    async def delete(self, key: str) -> None:
        self._entries.forget(key)

    async def last_good(self, key: str) -> CacheEntry | None:
        """Memory is its own last copy: what it holds, if that has weather."""
        entry = self._entries.get(key)
        return entry if entry is not None and entry.weather is not None else None

    async def get_location(self, key: str) -> Location | None:
        return self._locations.get(key)

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        self._locations.put(key, location, ttl_s)

    def __len__(self) -> int:
        return len(self._entries)
