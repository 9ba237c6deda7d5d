"""A start message shared by many requests: its head serialised once, the bytes on the
wire uvicorn's own for every kind of request, and uvicorn's own work whenever a header
would change the framing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.types import HTTPResponseStartEvent
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.serving import shared_start
from entrypoints.http.serving.shared_start import SharedStart, shared
from entrypoints.http.uvicorn_parser import JsonErrorsHttpToolsProtocol
from entrypoints.http.weather.rendered import render
from tests.unit.entrypoints.http.test_uvicorn_parser import BODY, GET, REQUESTS, served
from tests.unit.entrypoints.http.weather.results import FRESH, NOW

HEADERS = [
    (b"content-type", b"application/json"),
    (b"Date", b"Sun, 06 Dec 2026 07:00:00 GMT"),
    (b"x-cache", b"HIT"),
    (b"content-length", b"%d" % len(BODY)),
]


def start(headers: list[tuple[bytes, bytes]]) -> HTTPResponseStartEvent:
    return {"type": "http.response.start", "status": 200, "headers": headers}


def answering(first: Any, body: bytes = BODY) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(first)
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize("request_bytes", REQUESTS)
async def test_a_shared_start_leaves_as_uvicorn_would_send_it(request_bytes: bytes) -> None:
    ours = await served(
        JsonErrorsHttpToolsProtocol, request_bytes, answering(shared(start(HEADERS)))
    )
    theirs = await served(HttpToolsProtocol, request_bytes, answering(start(HEADERS)))
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert ours.closed == theirs.closed


async def test_its_head_is_serialised_once_for_every_request_that_sends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serialised = []
    original = shared_start._serialised
    monkeypatch.setattr(shared_start, "_serialised", lambda m: serialised.append(m) or original(m))
    message = shared(start(HEADERS))
    for _ in range(3):
        await served(JsonErrorsHttpToolsProtocol, GET, answering(message))
    assert len(serialised) == 1


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param(HEADERS[:-1], BODY, id="no-length"),
        pytest.param([*HEADERS, (b"Connection", b"close")], BODY, id="connection"),
        pytest.param([*HEADERS[:-1], (b"transfer-encoding", b"chunked")], b"", id="chunked"),
        pytest.param([*HEADERS, (b"content-length", b"1")], BODY, id="two-lengths"),
    ],
)
async def test_a_header_that_changes_the_framing_leaves_the_work_to_uvicorn(
    headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    message = shared(start(headers))
    ours = await served(JsonErrorsHttpToolsProtocol, GET, answering(message, body))
    theirs = await served(HttpToolsProtocol, GET, answering(start(headers), body))
    assert isinstance(message, SharedStart) and message.head() is None
    assert b"".join(ours.writes) == b"".join(theirs.writes)


def test_a_fast_path_hit_sends_the_shared_start_of_its_second() -> None:
    answer = render(FRESH, now=NOW)
    head, _ = answer.hit([], NOW)
    assert isinstance(head, SharedStart) and answer.hit([], NOW + 0.2)[0] is head
    assert answer.hit([], NOW + 1)[0] is not head  # the next second's Date
    assert not isinstance(answer.messages([], b"HIT", NOW)[0], SharedStart)  # the route's
