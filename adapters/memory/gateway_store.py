"""In-process gateway store: the embedded default without Redis, and the unit-test fake."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from adapters.expiry import Expiring, ExpiryHeap
from adapters.lru import BoundedLru
from domain.model.gateway_part import MAX_PART_BYTES, StoredPart
from ports.clock import Clock
from ports.gateway_store import Keep, PartStore

_Held = tuple[float, StoredPart]  # (expires at, on the monotonic clock; the part)


def _held_size(held: _Held) -> int:
    return len(held[1].body)


def _part_size(part: StoredPart) -> int:
    return len(part.body)


class _TimedParts(BoundedLru[_Held], Expiring):
    """The parts served, each until its expiry: a write drops a few expired ones."""

    def expires_at(self, key: str) -> float | None:
        held = self.peek(key)
        return None if held is None else held[0]

    def expiry_times(self) -> Iterable[tuple[float, str]]:
        return ((held[0], key) for key, held in self.items())


class MemoryPartStore(PartStore):
    """Bounded by count and bytes, both for what it serves and for its last good copies."""

    def __init__(
        self,
        *,
        clock: Clock,
        max_items: int = 10_000,
        max_bytes: int = 256 * 1024 * 1024,
        last_good_items: int = 2_000,
        last_good_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._clock = clock
        self._parts = _TimedParts(max_items, max_bytes, _held_size)
        self._expiry = ExpiryHeap()
        self._good: BoundedLru[StoredPart] = BoundedLru(
            last_good_items, last_good_bytes, _part_size
        )

    async def get_many(self, keys: Sequence[str]) -> list[StoredPart | None]:
        return [self._get(key) for key in keys]

    def _get(self, key: str) -> StoredPart | None:
        held = self._parts.get(key)
        if held is None:
            return None
        if held[0] <= self._clock.monotonic():
            self._parts.forget(key)
            return None
        return held[1]

    async def put(self, key: str, part: StoredPart, ttl_s: float) -> StoredPart:
        return self._put(key, part, ttl_s)

    async def put_many(self, parts: Sequence[Keep]) -> list[StoredPart]:
        return [self._put(key, part, ttl_s) for key, part, ttl_s in parts]

    def _put(self, key: str, part: StoredPart, ttl_s: float) -> StoredPart:
        if len(part.body) > MAX_PART_BYTES:
            return part
        held = self._get(key)
        if held is not None and not part.replaces(held):
            return held
        now = self._clock.monotonic()
        self._parts.put(key, (now + ttl_s, part))
        self._expiry.add(key, now + ttl_s)
        self._expiry.sweep(now, self._parts)
        if part.status == 200 and part.replaces(self._good.get(key)):
            self._good.put(key, part)
        return part

    def last_good(self, key: str) -> StoredPart | None:
        return self._good.get(key)
