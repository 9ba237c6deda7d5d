"""Date on every answer, from this process's clock when the answer is sent.

uvicorn's own Date is refreshed by its main loop about once a second, later under load, so
it could say an answer was sent before the entry in it was fetched (Last-Modified after
Date, which RFC 9110 8.8.2.1 forbids). `skycache serve` turns it off; /weather answers set
their own Date, consistent with their max-age; everything else gets one here.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Send

from entrypoints.http.middleware.http_only import HttpOnlyWrapper


# Formatting is a visible part of a hit's cost; a hot answer asks for the same second again
# (Date, this second; Last-Modified, when its entry was fetched). A small bound: an old
# second is rarely asked again, and each one kept is memory a worker never gives back.
@functools.lru_cache(maxsize=256)
def http_date(epoch_s: int) -> bytes:
    return formatdate(epoch_s, usegmt=True).encode()


def date_now(clock: Callable[[], float] = time.time) -> bytes:
    return http_date(int(clock()))


class DatedAnswers(HttpOnlyWrapper):
    """ASGI wrapper: an answer started without a Date gets one (RFC 9110 6.6.1)."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.time) -> None:
        super().__init__(app)
        self._clock = clock

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if not _has_date(headers):
                    dated_headers = [(b"date", date_now(self._clock)), *headers]
                    message = cast(Message, {**message, "headers": dated_headers})
            await send(message)

        await self._app(scope, receive, dated)


def _has_date(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    # A plain loop, not any() over a generator: on every answer, and /weather's Date comes
    # second, so it stops there.
    for name, _ in headers:  # noqa: SIM110
        if name == b"date" or name.lower() == b"date":
            return True
    return False
