"""The /weather 200 answer, rendered in one place for the route and the fast path before it."""

from __future__ import annotations

from typing import NamedTuple

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.schemas import WeatherResponse

WEATHER_PATH = "/weather"
HIT = CacheOutcome.HIT.value.encode()

_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")


class Encoded(NamedTuple):
    """What every send of one body shares, built once: the hot path only adds its Age."""

    length: tuple[bytes, bytes]
    body: HTTPResponseBodyEvent  # the http.response.body message


def encode_body(result: WeatherResult) -> bytes:
    return _ENCODER.encode(WeatherResponse.from_domain(result))


def encoded(body: bytes) -> Encoded:
    return Encoded(
        (b"content-length", b"%d" % len(body)),
        {"type": "http.response.body", "body": body, "more_body": False},
    )


def start(x_cache: bytes, age_s: float, length: tuple[bytes, bytes]) -> HTTPResponseStartEvent:
    """The status and headers of a 200: X-Cache, Age in whole seconds, the length."""
    return {
        "type": "http.response.start",
        "status": 200,
        "headers": [_JSON, (b"x-cache", x_cache), (b"age", b"%d" % age_s), length],
    }


class WeatherAnswer:
    """One rendered 200 as an ASGI app: what the route returns to Litestar to send."""

    __slots__ = ("_body", "_start")

    def __init__(self, result: WeatherResult, body: bytes) -> None:
        answer = encoded(body)
        self._start = start(result.outcome.value.encode(), result.age_s, answer.length)
        self._body = answer.body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start)
        await send(self._body)
