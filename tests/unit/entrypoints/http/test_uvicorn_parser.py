"""`skycache serve`'s HTTP protocol against uvicorn's own: the same bytes for every kind
of request, a response in one write, and its 400s in JSON."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from entrypoints.http.uvicorn_parser import JsonErrorsHttpToolsProtocol

BODY = b'{"city":"Lisbon"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


class Socket(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name)

    def write(self, data: Any) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def served(protocol: type[HttpToolsProtocol], request: bytes, asgi: Any = app) -> Socket:
    config = Config(asgi, access_log=False, server_header=False, date_header=False, lifespan="off")
    config.load()
    connection = protocol(config=config, server_state=ServerState(), app_state={})
    socket = Socket()
    connection.connection_made(socket)
    connection.data_received(request)
    for _ in range(10):  # the app's tasks, then the turn's end
        await asyncio.sleep(0)
    return socket


GET = b"GET /weather?city=Lisbon HTTP/1.1\r\nHost: x\r\n\r\n"
# Every kind of request whose framing uvicorn decides differently.
REQUESTS = [
    pytest.param(GET, id="keep-alive"),
    pytest.param(GET.replace(b"GET", b"HEAD"), id="head"),
    pytest.param(GET.replace(b"Host: x", b"Host: x\r\nConnection: close"), id="close"),
    pytest.param(GET.replace(b"HTTP/1.1", b"HTTP/1.0"), id="http-1.0"),
    pytest.param(GET + GET.replace(b"Lisbon", b"Porto"), id="pipelined"),
]


@pytest.mark.parametrize("request_bytes", REQUESTS)
async def test_the_same_bytes_as_uvicorns_own_protocol(request_bytes: bytes) -> None:
    ours = await served(JsonErrorsHttpToolsProtocol, request_bytes)
    theirs = await served(HttpToolsProtocol, request_bytes)
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert b"".join(ours.writes).startswith(b"HTTP/1.1 200 OK")
    assert ours.closed == theirs.closed


async def test_a_response_leaves_in_one_write_where_uvicorn_makes_two() -> None:
    assert len((await served(HttpToolsProtocol, GET)).writes) == 2
    assert len((await served(JsonErrorsHttpToolsProtocol, GET)).writes) == 1


async def test_a_request_the_parser_refuses_is_answered_400_in_json_then_closed() -> None:
    socket = await served(JsonErrorsHttpToolsProtocol, b"GET /\x01 HTTP/1.1\r\n\r\n")
    answer = b"".join(socket.writes)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request") and b'"error":"bad_request"' in answer
    assert socket.closed
