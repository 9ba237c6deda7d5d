"""Each Redis pool's free connections, watched: the fewest that stood free in a period.

redis-py counts no such thing and has no hook where a connection is taken, so each free
list is swapped for one that notes its low-water mark as connections are taken from it.
This is the one module that touches the pools' private attributes (`_available_connections`,
`_in_use_connections` and `_lock` of a ConnectionPool; `_free` and `_connections` of a
ClusterNode); tests/unit/test_redis_free_lists.py fails if redis-py changes them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import SupportsIndex, TypeVar

from redis.asyncio import ConnectionPool
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.connection import AbstractConnection, Connection


class _LowWaterList(list[AbstractConnection]):
    """A ConnectionPool's free list: last in, first out, taken with pop()."""

    low = 0  # nothing known yet: a list found unwatched closes nothing

    def pop(self, index: SupportsIndex = -1) -> AbstractConnection:
        self.low = min(self.low, len(self) - 1) if self else 0
        return super().pop(index)

    def cut(self, count: int) -> list[AbstractConnection]:
        """The `count` least recently used: the bottom of the stack."""
        cut = self[:count]
        del self[:count]
        return cut


class _LowWaterDeque(deque[Connection]):
    """A ClusterNode's free queue: first in, first out, taken with popleft()."""

    low = 0

    def popleft(self) -> Connection:
        self.low = min(self.low, len(self) - 1) if self else 0
        return super().popleft()

    def cut(self, count: int) -> list[Connection]:
        """The `count` least recently used: the head of the queue."""
        return [deque.popleft(self) for _ in range(count)]


_Watched = TypeVar("_Watched", _LowWaterList, _LowWaterDeque)


def surplus(low: int, held: int, floor: int) -> int:
    """How many to close: those never needed all period, while `floor` remain."""
    return max(0, min(low, held - floor))


async def close_unneeded(pool: ConnectionPool | ClusterNode, floor: int) -> int:
    """End `pool`'s period: close what stood free all of it beyond `floor`, start the
    next. A pool seen for the first time starts watching and closes nothing."""
    cut: list[AbstractConnection] | list[Connection]
    if isinstance(pool, ClusterNode):
        cut = _cut_from_node(pool, floor)
    else:
        async with pool._lock:  # the pool's own iterations over its lists hold it
            cut = _cut_from_pool(pool, floor)
    # Out of the pools already: nobody else can take them while they close.
    await asyncio.gather(*(c.disconnect() for c in cut), return_exceptions=True)
    return len(cut)


def _cut_from_pool(pool: ConnectionPool, floor: int) -> list[AbstractConnection]:
    free = pool._available_connections
    if not isinstance(free, _LowWaterList):
        pool._available_connections = _restarted(_LowWaterList(free))
        return []
    cut = free.cut(surplus(free.low, len(free) + len(pool._in_use_connections), floor))
    _restarted(free)
    return cut


def _cut_from_node(node: ClusterNode, floor: int) -> list[Connection]:
    free = node._free
    if not isinstance(free, _LowWaterDeque):
        node._free = _restarted(_LowWaterDeque(free, maxlen=free.maxlen))
        return []
    cut = free.cut(surplus(free.low, len(node._connections), floor))
    _restarted(free)
    # The node bounds what it opens by this list's length: what is cut may be opened again.
    gone = {id(connection) for connection in cut}
    node._connections[:] = [c for c in node._connections if id(c) not in gone]
    return cut


def _restarted(free: _Watched) -> _Watched:
    """The next period starts with what is free now."""
    free.low = len(free)
    return free
