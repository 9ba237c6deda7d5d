"""HEAD answered like GET without the body, on every route and on the fast path too."""

from __future__ import annotations

from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI wrapper, outside the near cache and Litestar (which would answer HEAD 405):
    the request goes on as a GET, so it gets the same status and headers, Content-Length
    included (RFC 9110, 9.3.2); the body is dropped here, whatever the server does with it."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "HEAD":  # only HTTP scopes have a method
            await self._app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = cast(Message, {**message, "body": b""})
            await send(message)

        as_get = cast(Scope, {**cast(dict[str, Any], scope), "method": "GET"})
        await self._app(as_get, receive, without_body)
