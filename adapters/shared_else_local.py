"""Shared, else local: the one shape of every "Redis, else this process or host" adapter.

The shared side (Redis, behind its breaker) answers whenever it can. When it raises
CacheUnavailable, the local side answers instead: this process's memory, or files the
workers of one instance share. The outage surfaces only where the local side has nothing.
Each adapter built this way names its two sides `shared` and `local`:
- FallbackCache (adapters/memory/fallback_cache.py): the last good copies, in memory;
- HostCopies (adapters/host/copies.py): what Redis refused, in the instance's files;
- FallbackLock (adapters/resilience/fallback_lock.py): leases from the host lock;
- SharedWindows (adapters/redis/shared_budget.py): each worker's share of the budgets;
- LeasedRequestLimit (adapters/redis/request_leases.py): RATE_LIMIT's leases, in SharedWindows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.model.errors import CacheUnavailable

T = TypeVar("T")


async def shared_else_local(
    shared: Callable[[], Awaitable[T]], local: Callable[[CacheUnavailable], Awaitable[T]]
) -> T:
    """`shared()`'s answer; `local(down)`'s while the shared side is unavailable."""
    try:
        return await shared()
    except CacheUnavailable as down:
        return await local(down)


def local_or_raise(copy: T | None, down: CacheUnavailable) -> T:
    """The local copy answers the outage; without one, the outage stands."""
    if copy is None:
        raise down
    return copy
