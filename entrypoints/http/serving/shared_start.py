"""A response start sent unchanged by many requests, whose head the server serialises once.

A near-cache hit (and a fresh hit of the fast path) sends the very same start message to
every request of its second (weather/rendered.py, `Rendered.hit`). uvicorn checks and
joins each header of every response it sends, seven for /weather; for a `SharedStart`
the serving protocol (entrypoints/http/uvicorn_parser.py) does that once and keeps the
bytes on the message. A shared start is never changed once made: a layer that adds
headers copies it into a plain dict (as CorsFastPath does), which uvicorn serialises.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from litestar.types import HTTPResponseStartEvent
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    RequestResponseCycle,
)

# The headers whose value changes how uvicorn frames the response or the connection.
_FRAMING = frozenset({b"connection", b"transfer-encoding"})
_END = b"\r\n"
_CLOSE = b"connection: close\r\n\r\n"  # what uvicorn adds when the client asked to close


class Head(NamedTuple):
    """The status line and headers, without the blank line that ends them."""

    lines: bytes
    content_length: int


class SharedStart(dict[str, Any]):
    __slots__ = ("_head",)

    def __init__(self, message: HTTPResponseStartEvent) -> None:
        super().__init__(message)
        self._head: Head | bool | None = False  # False: not serialised yet

    def head(self) -> Head | None:
        """None when the server must serialise it itself: headers it would refuse, or
        that decide the framing (no content-length; transfer-encoding, connection)."""
        if self._head is False:
            self._head = _serialised(self)
        return cast(Head | None, self._head)


def shared(message: HTTPResponseStartEvent) -> HTTPResponseStartEvent:
    return cast(HTTPResponseStartEvent, SharedStart(message))


def _serialised(message: dict[str, Any]) -> Head | None:
    lines = [STATUS_LINE[message["status"]]]
    length = None
    for name, value in message.get("headers", ()):
        if HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
            return None  # uvicorn raises: let it
        name = name.lower()
        if name in _FRAMING:
            return None
        if name == b"content-length":
            if length is not None:
                return None  # two: uvicorn's rule (the first wins) applies
            length = int(value.decode())
        lines.extend([name, b": ", value, b"\r\n"])
    return None if length is None else Head(b"".join(lines), length)


class SharedHeadCycle(RequestResponseCycle):
    """uvicorn's request cycle, but a SharedStart's head is written as serialised once,
    with the state uvicorn's own `send` would have set. Anything else (and a shared
    start while uvicorn adds headers, logs, or waits for the client to read) is uvicorn's."""

    async def send(self, message: Any) -> None:
        if type(message) is SharedStart and not (
            self.response_started
            or self.disconnected
            or self.flow.write_paused
            or self.access_log
            or self.default_headers
        ):
            head = message.head()
            if head is not None:
                self.response_started = True
                self.waiting_for_100_continue = False
                self.expected_content_length = head.content_length
                self.chunked_encoding = False
                self.transport.write(head.lines + (_END if self.keep_alive else _CLOSE))
                return
        await super().send(message)
