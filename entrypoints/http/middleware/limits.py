"""Size limits on the request line and headers, checked before anything else sees them.

uvicorn's httptools parser has no limit of its own below ~64 KB of URL (beyond that it
answers a plain-text 400 itself) and none on headers. Every key the near cache keeps is a
raw query string, so an unbounded one would let a client fill it with megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from entrypoints.http.middleware.dates import date_now
from entrypoints.http.schemas import ErrorResponse

# The longest valid city is 100 characters: ~1 KB percent-encoded, so 2 KB is generous.
MAX_TARGET_BYTES = 2048
# What nginx accepts by default (large_client_header_buffers 4 8k) is 8 KB a line.
MAX_HEADER_BYTES = 16_384


class RequestLimits:
    """ASGI wrapper: 414 for a path and query over MAX_TARGET_BYTES, 431 for headers over
    MAX_HEADER_BYTES, as JSON like every other error; anything else goes to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            target = len(scope.get("raw_path") or b"") + len(scope["query_string"])
            if target > MAX_TARGET_BYTES:
                await _refuse(send, 414, "uri_too_long", f"at most {MAX_TARGET_BYTES} bytes")
                return
            if _header_bytes(scope["headers"]) > MAX_HEADER_BYTES:
                await _refuse(send, 431, "headers_too_large", f"at most {MAX_HEADER_BYTES} bytes")
                return
        await self._app(scope, receive, send)


def _header_bytes(headers: Iterable[tuple[bytes, bytes]]) -> int:
    # A plain loop: for the few headers of a typical request, a third of sum() over a
    # generator, on every request.
    size = 0
    for name, value in headers:
        size += len(name) + len(value)
    return size


async def _refuse(send: Send, status: int, error: str, detail: str) -> None:
    # The detail names the limit, never the input.
    body = msgspec.json.encode(ErrorResponse(error=error, detail=detail, status_code=status))
    headers = [
        (b"date", date_now()),  # in front of DatedAnswers (entrypoints/http/app.py)
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
