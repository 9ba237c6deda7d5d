"""CORS for browser clients, from CORS_ALLOW_ORIGINS, through Litestar's CORSConfig.

Litestar's CORS middleware answers preflights and adds the headers to what the app sends;
the fast path answers before the app, so `CorsFastPath` gives its answers the same
headers. Every answer says `Vary: Origin` (RFC 9110, 12.5.5): a cache downstream must not
hand an answer made for one origin, or for none, to a browser of another."""

from __future__ import annotations

from typing import cast

from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Send

from entrypoints.http.middleware.http_only import HttpOnlyWrapper

# Safelisted response headers need no listing; these do, for scripts to read them.
EXPOSED = ["Age", "ETag", "Retry-After", "X-Cache"]
REQUEST_HEADERS = ["Content-Type", "If-Modified-Since", "If-None-Match"]


def cors_config(origins: tuple[str, ...]) -> CORSConfig | None:
    """None when no origin is allowed (the default): browsers then refuse cross-origin
    reads, as the same-origin policy says. Credentials are never allowed, so "*" can never
    be combined with them (the Fetch standard forbids it)."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=REQUEST_HEADERS,
        expose_headers=EXPOSED,
        allow_credentials=False,
        max_age=600,
    )


class CorsFastPath(HttpOnlyWrapper):
    """ASGI wrapper around the fast path and the app: what the app's CORS middleware left
    without CORS headers (the fast path's answers) gets them; everything gets Vary."""

    def __init__(self, app: ASGIApp, config: CORSConfig) -> None:
        super().__init__(app)
        self._config = config

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        origin = _origin(scope)
        allowed = origin is not None and self._config.is_origin_allowed(origin)

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy: a near-cache hit's start message is shared by a whole second's hits.
                message = cast(Message, {**message, "headers": list(message.get("headers", ()))})
                headers = MutableScopeHeaders.from_message(message)
                if "vary" not in headers:
                    headers["Vary"] = "Origin"
                if allowed and origin and "access-control-allow-origin" not in headers:
                    headers.update(self._config.simple_headers)
                    if not self._config.is_allow_all_origins:
                        headers["Access-Control-Allow-Origin"] = origin
            await send(message)

        await self._app(scope, receive, with_cors)


def _origin(scope: HTTPScope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"origin":
            return value.decode("latin-1")
    return None
