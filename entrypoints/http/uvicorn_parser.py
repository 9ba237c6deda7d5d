"""uvicorn's httptools protocol, with its own 400 answered in JSON like every other error.

httptools refuses some requests before any ASGI app exists for them: a raw byte outside
ASCII in the request target, a malformed request line, one over ~64 KB. uvicorn answers
those itself (HttpToolsProtocol.data_received -> send_400_response) with a plain-text
"Invalid HTTP request received."; this subclass answers it in JSON. It also hands uvicorn
a corked transport (one write per response) and a request cycle that writes a shared
start's head as serialised once (entrypoints/http/serving/): the bytes stay uvicorn's.
Selected by `skycache serve` (uvicorn's `http=` takes a protocol class path).
"""

from __future__ import annotations

import asyncio

import msgspec
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from entrypoints.http.middleware.dates import date_now
from entrypoints.http.schemas import ErrorResponse
from entrypoints.http.serving.corked_transport import CorkedTransport
from entrypoints.http.serving.shared_start import SharedHeadCycle

_BODY = msgspec.json.encode(
    ErrorResponse(error="bad_request", detail="the request could not be parsed", status_code=400)
)
_HEAD = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"content-type: application/json\r\n"
    b"content-length: %d\r\n"
    b"connection: close\r\n" % len(_BODY)
)


class JsonErrorsHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        # `msg` is uvicorn's own fixed text, logged by the caller; the body never echoes input.
        content = [_HEAD]
        # uvicorn's own Date is off (entrypoints/http/middleware/dates.py): this answer gets ours.
        for name, value in [(b"date", date_now()), *self.server_state.default_headers]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"\r\n", _BODY])
        self.transport.write(b"".join(content))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # One write per response (serving/corked_transport.py).
        super().connection_made(CorkedTransport(transport, self.loop))

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        # The one place every cycle passes before its first send, pipelined ones too: from
        # here its sends are SharedHeadCycle's (serving/shared_start.py), which adds no
        # state, so the instance is uvicorn's in every other respect.
        cycle.__class__ = SharedHeadCycle
        super()._start_asgi_task(cycle, app)
