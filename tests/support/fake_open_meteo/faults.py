"""Answers no client should have to wait out: a hang, a dropped response, a trickle, a
body too large to hold. Shared by every fake API."""

from __future__ import annotations

import asyncio
from typing import Any

HANG_S = 30.0  # longer than any client timeout; shutdown cancels it after a second
TRICKLE_S = 1.0  # one byte a second: never slow enough for a per-read timeout to fire
TRICKLE_MAX_BYTES = 60  # a minute of it, then the fake gives up too
HUGE_BODY_BYTES = 300 * 1024 * 1024
_CHUNK = b" " * 65_536  # JSON whitespace, sent over and over: nothing held but this
_JSON = (b"content-type", b"application/json; charset=utf-8")


async def hang() -> None:
    await asyncio.sleep(HANG_S)


async def drop(send: Any) -> None:
    """ASGI cannot refuse a connection; this drops it mid-response instead, which clients
    see as a transport error (httpx.RemoteProtocolError)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"99")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def trickle(send: Any, body: bytes) -> None:
    """Headers at once, then the body a byte a second (at most TRICKLE_MAX_BYTES)."""
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": 200, "headers": [_JSON, length]})
    for byte in body[:TRICKLE_MAX_BYTES]:
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        await asyncio.sleep(TRICKLE_S)


async def huge(send: Any, size: int) -> None:
    """A 200 of `size` bytes with no Content-Length (chunked): a client learns its size only
    by reading it. Made of one shared chunk, so the fake never holds the body itself."""
    await send({"type": "http.response.start", "status": 200, "headers": [_JSON]})
    sent = 0
    while sent < size:
        chunk = _CHUNK if size - sent >= len(_CHUNK) else _CHUNK[: size - sent]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        sent += len(chunk)
    await send({"type": "http.response.body", "body": b"{}"})
