"""RATE_LIMIT: each client's requests, counted before the near cache or the app answers.

In front of the fast path, so a limit and the near cache work together; the counting is
the shared windows' (adapters/redis/request_leases.py), which spends no Redis round trip
on most requests."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from entrypoints.http.errors import retry_after
from entrypoints.http.middleware.dates import date_now
from entrypoints.http.schemas import ErrorResponse
from ports.budget import RequestLimit

# Probes, scrapers and the status page's polls are not clients to throttle.
UNLIMITED_PATHS = frozenset(
    {"/healthz", "/livez", "/readyz", "/metrics", "/status", "/status/data"}
)
_REFUSED = msgspec.json.encode(
    ErrorResponse(error="http_429", detail="rate limit exceeded", status_code=429)
)


def client_of(scope: HTTPScope) -> str:
    """The client's address: the peer, or X-Forwarded-For's when uvicorn trusts the peer
    (FORWARDED_ALLOW_IPS); the same address the miss budget counts."""
    client = scope.get("client")
    return client[0] if client else "127.0.0.1"


class ClientLimits:
    """ASGI wrapper: a client over its limit is answered 429 JSON with Retry-After.

    `limit` is read at the first request: the limiter opens with Redis, in the lifespan.
    Preflights (OPTIONS) are the browser's, not the client's: never counted."""

    def __init__(
        self,
        app: ASGIApp,
        limit: Callable[[], RequestLimit],
        *,
        retry_after_max_s: float,
        on_refused: Callable[[HTTPScope], None] | None = None,
    ) -> None:
        self._app = app
        self._limit_of = limit
        self._limit: RequestLimit | None = None
        self._retry_after_max_s = retry_after_max_s
        self._on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["path"] in UNLIMITED_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self._app(scope, receive, send)
            return
        if self._limit is None:
            self._limit = self._limit_of()
        wait = await self._limit.admit(client_of(scope))
        if wait is None:
            await self._app(scope, receive, send)
            return
        await self._refuse(send, wait)
        if self._on_refused is not None:
            self._on_refused(scope)

    async def _refuse(self, send: Send, wait_s: float) -> None:
        headers = [
            (b"date", date_now()),  # in front of DatedAnswers (entrypoints/http/app.py)
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_REFUSED)).encode()),
            (b"retry-after", retry_after(wait_s, self._retry_after_max_s).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": _REFUSED, "more_body": False})
