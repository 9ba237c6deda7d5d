"""Optional per-client rate limiting (RATE_LIMIT=100/minute): Litestar's middleware, over
the store the composition root gives it (counts in Redis when the service uses Redis, so
that every worker shares one limit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.types import Receive, Scope, Send

STORE_NAME = "rate_limit"
# Probes, scrapers and the status page's polls are not clients to throttle.
UNLIMITED_PATHS = ["^/healthz$", "^/metrics$", "^/status(/data)?$"]


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


@dataclass(frozen=True)
class RateLimiting:
    """What to add to the Litestar app; empty when rate limiting is off."""

    middleware: list[DefineMiddleware] = field(default_factory=list)
    stores: dict[str, Store] = field(default_factory=dict)


def rate_limiting(rate_limit: str, store: Store) -> RateLimiting:
    """`rate_limit` as in Settings ("100/minute" or "")."""
    if not rate_limit:
        return RateLimiting()
    count, unit = rate_limit.split("/")
    config = RateLimitConfig(
        rate_limit=(unit, int(count)),  # type: ignore[arg-type]  # validated by Settings
        exclude=UNLIMITED_PATHS,
        middleware_class=ClientRateLimit,
        store=STORE_NAME,
    )
    return RateLimiting([config.middleware], {STORE_NAME: store})
