"""The ceiling: a raw ASGI app answering a constant JSON body, as cheap as uvicorn allows."""

from __future__ import annotations

from typing import Any

# About the size of a real /weather answer, so both sides move the same bytes.
BODY = (
    b'{"city":"San Jose","temperature":18.4,"humidity":64,"description":"Partly cloudy",'
    b'"country":"United States","latitude":37.33939,"longitude":-121.89496,'
    b'"observed_at":"2025-01-01T12:00","provider":"open-meteo","stale":false,"age_seconds":3}'
)
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))],
}
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
