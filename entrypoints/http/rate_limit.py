"""Optional per-client rate limiting (RATE_LIMIT=100/minute): Litestar's middleware, with
its counts in Redis when the service uses Redis, so that every worker shares one limit."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from litestar import Litestar
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import Receive, Scope, Send
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from domain.errors import CacheUnavailable
from entrypoints.backends import Backend

STORE_NAME = "rate_limit"
NAMESPACE = "skycache:v1:ratelimit"
# Probes and scrapers are not clients to throttle.
UNLIMITED_PATHS = ["^/healthz$", "^/metrics$"]

T = TypeVar("T")
Expiry = int | timedelta | None


class SharedOrLocalStore(Store):
    """Redis (behind the shared breaker) once attached; this process's memory before that,
    without Redis, or while it is down: a limiter must not turn an outage into errors."""

    def __init__(self) -> None:
        self._local = MemoryStore()
        self._shared: tuple[RedisStore, RedisBreaker] | None = None

    def attach(self, redis: Redis, breaker: RedisBreaker) -> None:
        self._shared = (RedisStore(redis, namespace=NAMESPACE), breaker)

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


class ClientRateLimit(RateLimitMiddleware):
    """Litestar's limiter, whose 429 gains the Retry-After it lacks (only RateLimit-*)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            reset = headers.get(self.config.rate_limit_reset_header_key, "1")
            headers["Retry-After"] = str(max(int(reset), 1))
            raise TooManyRequestsException(detail="rate limit exceeded", headers=headers) from None


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class RateLimiting:
    """What to add to the Litestar app; empty when rate limiting is off."""

    middleware: list[DefineMiddleware] = field(default_factory=list)
    stores: dict[str, Store] = field(default_factory=dict)
    lifespan: list[Lifespan] = field(default_factory=list)


def rate_limiting(rate_limit: str, backend: Callable[[], Any]) -> RateLimiting:
    """`rate_limit` as in Settings ("100/minute" or ""); `backend` resolves the Backend."""
    if not rate_limit:
        return RateLimiting()
    count, unit = rate_limit.split("/")
    store = SharedOrLocalStore()

    @asynccontextmanager
    async def attach_redis(_: Litestar) -> AsyncIterator[None]:
        found = backend()
        opened: Backend = await found if inspect.isawaitable(found) else found
        if opened.redis is not None and opened.breaker is not None:
            store.attach(opened.redis, opened.breaker)
        yield

    config = RateLimitConfig(
        rate_limit=(unit, int(count)),  # type: ignore[arg-type]  # validated by Settings
        exclude=UNLIMITED_PATHS,
        middleware_class=ClientRateLimit,
        store=STORE_NAME,
    )
    return RateLimiting([config.middleware], {STORE_NAME: store}, [attach_redis])
