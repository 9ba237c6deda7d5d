"""A bounded least-recently-used map, by item count and by total bytes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedLru(Generic[V]):
    """Keeps at most `max_items` values and `max_bytes` of them (as `size_of` weighs them):
    a flood of distinct keys, or a few huge values, cannot grow the process without limit."""

    def __init__(self, max_items: int, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self._items: OrderedDict[str, V] = OrderedDict()
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._size_of = size_of
        self._bytes = 0

    def get(self, key: str) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def peek(self, key: str) -> V | None:
        """The value under `key`, without counting as a use."""
        return self._items.get(key)

    def items(self) -> Iterable[tuple[str, V]]:
        return self._items.items()

    def put(self, key: str, value: V) -> None:
        self.forget(key)
        size = self._size_of(value)
        if size > self._max_bytes or self._max_items <= 0:
            return
        self._items[key] = value
        self._bytes += size
        while len(self._items) > self._max_items or self._bytes > self._max_bytes:
            _, oldest = self._items.popitem(last=False)
            self._bytes -= self._size_of(oldest)

    def forget(self, key: str) -> None:
        value = self._items.pop(key, None)
        if value is not None:
            self._bytes -= self._size_of(value)

    def __len__(self) -> int:
        return len(self._items)
