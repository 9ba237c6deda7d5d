"""Litestar's rate-limit store with its counts in Redis, shared by every worker, and in
this process's memory before Redis is attached, without Redis, or while it is down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar, cast

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.keys import RATE_LIMIT_NAMESPACE
from adapters.redis.topology import RedisClient
from domain.model.errors import CacheUnavailable

NAMESPACE = RATE_LIMIT_NAMESPACE

T = TypeVar("T")
Expiry = int | timedelta | None


class SharedOrLocalStore(Store):
    """Redis (behind the shared breaker) once attached; this process's memory before that,
    without Redis, or while it is down: a limiter must not turn an outage into errors."""

    def __init__(self) -> None:
        self._local = MemoryStore()
        self._shared: tuple[RedisStore, RedisBreaker] | None = None

    def attach(self, redis: RedisClient, breaker: RedisBreaker) -> None:
        # RedisStore is typed for one node; on a cluster each of its calls names one key
        # (get, set, renew, delete), so each goes to that key's shard unchanged.
        store = RedisStore(cast(Redis, redis), namespace=NAMESPACE)
        self._shared = (store, breaker)

    async def _use(self, what: str, op: Callable[[Store], Awaitable[T]]) -> T:
        if self._shared is not None:
            store, breaker = self._shared
            try:
                with breaker.call(f"rate limit {what}"):
                    return await op(store)
            except CacheUnavailable:
                pass
        return await op(self._local)

    async def set(self, key: str, value: str | bytes, expires_in: Expiry = None) -> None:
        await self._use("SET", lambda s: s.set(key, value, expires_in))

    async def get(self, key: str, renew_for: Expiry = None) -> bytes | None:
        return await self._use("GET", lambda s: s.get(key, renew_for))

    async def delete(self, key: str) -> None:
        await self._use("DEL", lambda s: s.delete(key))

    async def delete_all(self) -> None:
        await self._use("DEL", lambda s: s.delete_all())

    async def exists(self, key: str) -> bool:
        return await self._use("EXISTS", lambda s: s.exists(key))

    async def expires_in(self, key: str) -> int | None:
        return await self._use("TTL", lambda s: s.expires_in(key))
