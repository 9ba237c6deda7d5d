"""HTTP edges: HEAD answered like GET without a body, and requests uvicorn's parser refuses
answered in JSON like every other error."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SAME = ("content-type", "content-length", "x-cache")


def raw(app: AppServer, request: bytes) -> bytes:
    """Everything the server sends back before it closes the connection."""
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65_536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("near_cache_ttl", ["0", "1"])  # with and without the near cache
@pytest.mark.parametrize("city", ["Boise", "Nowhereville", "<b>"])  # 200, 404, 400
async def test_head_weather_answers_like_get_without_a_body(
    start_app: StartApp, near_cache_ttl: str, city: str
) -> None:
    app = start_app({"NEAR_CACHE_TTL": near_cache_ttl})
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        await client.get("/weather", params={"city": city})  # cached (or not) alike
        head = await client.head("/weather", params={"city": city})
        get = await client.get("/weather", params={"city": city})

    assert head.status_code == get.status_code != 405
    for name in SAME:
        assert head.headers.get(name) == get.headers.get(name), name
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(get.content)


async def test_a_head_response_carries_no_body_bytes_on_the_wire(start_app: StartApp) -> None:
    app = start_app()
    for _ in range(2):  # a miss, then a fast-path hit
        reply = raw(
            app, b"HEAD /weather?city=Boise HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert body == b""


@pytest.mark.parametrize(
    "target",
    [b"/weather?city=\xff", b"/weather?city=caf\xc3\xa9", b"/weath\xe9r?city=Boise"],
    ids=["latin-1 byte", "raw utf-8", "in the path"],
)
async def test_a_raw_non_ascii_byte_in_the_request_target_gets_a_json_400(
    start_app: StartApp, target: bytes
) -> None:
    app = start_app()
    reply = raw(app, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    async with httpx.AsyncClient(base_url=app.url) as client:
        after = await client.get("/healthz")

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    assert head.lower().count(b"\r\ndate: ") == 1  # ours: uvicorn's own Date is off
    assert httpx.Response(400, content=body).json() == {
        "error": "bad_request",
        "detail": "the request could not be parsed",
        "status_code": 400,
    }
    assert after.status_code == 200  # the worker lives on
