"""The ceiling: a raw ASGI app answering a constant JSON body, as cheap as uvicorn allows."""

from __future__ import annotations

from typing import Any

# About the size of a real /weather answer, so both sides move the same bytes.
BODY = (
    b'{"city":"San Jose","temperature":18.4,"humidity":64,"description":"Partly cloudy",'
    b'"country":"United States","latitude":37.33939,"longitude":-121.89496,'
    b'"observed_at":"2025-01-01T12:00","provider":"open-meteo","stale":false,"age_seconds":3}'
)
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
_START = {"type": "http.response.start", "status": 200, "headers": _HEADERS}
_BODY = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send(_START)
    await send(_BODY)


# The same answer, cacheable for five minutes: what nginx's own proxy_cache keeps when it
# fronts this app with the edge's configuration (bench/edge.py).
_CACHEABLE_START = {**_START, "headers": [*_HEADERS, (b"cache-control", b"public, max-age=300")]}


async def cacheable(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await app(scope, receive, send)
        return
    await send(_CACHEABLE_START)
    await send(_BODY)
