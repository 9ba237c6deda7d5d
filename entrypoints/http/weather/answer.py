"""The /weather 200 (or 304) answer, rendered in one place for the route and the fast path."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.schemas import WeatherResponse
from entrypoints.http.weather.conditional import not_modified
from entrypoints.http.weather.headers import Lifetime, Moment, etag, lifetime, moment
from entrypoints.http.weather.units import METRIC, Units

WEATHER_PATH = "/weather"
HIT = CacheOutcome.HIT.value.encode()

_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")
_NO_BODY: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}


class Rendered(NamedTuple):
    """What every send of one answer shares, built once: a send adds X-Cache and the
    Date, Cache-Control and Last-Modified of its moment."""

    tag: tuple[bytes, bytes]  # the ETag header
    length: tuple[bytes, bytes]
    body: HTTPResponseBodyEvent  # the http.response.body message
    life: Lifetime

    def moment(self, now: float) -> Moment:
        return moment(self.life, now)


def encode_body(result: WeatherResult, units: Units = METRIC) -> bytes:
    return _ENCODER.encode(WeatherResponse.from_domain(result, units))


def render(result: WeatherResult, units: Units = METRIC, now: float | None = None) -> Rendered:
    """`now`: the moment the result's durations count from (the wall clock by default)."""
    body = encode_body(result, units)
    return Rendered(
        (b"etag", etag(result, units.encode())),
        (b"content-length", b"%d" % len(body)),
        {"type": "http.response.body", "body": body, "more_body": False},
        lifetime(result, time.time() if now is None else now),
    )


def start(x_cache: bytes, at: Moment, answer: Rendered) -> HTTPResponseStartEvent:
    """The status and headers of a 200: Date, freshness and validators, X-Cache, the length."""
    return {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            _JSON,
            at.date,
            at.cache_control,
            answer.tag,
            at.last_modified,
            (b"x-cache", x_cache),
            answer.length,
        ],
    }


def unchanged(x_cache: bytes, at: Moment, answer: Rendered) -> HTTPResponseStartEvent:
    """A 304: the headers a 200 would carry but those of its body (RFC 9110, 15.4.5)."""
    return {
        "type": "http.response.start",
        "status": 304,
        "headers": [at.date, at.cache_control, answer.tag, at.last_modified, (b"x-cache", x_cache)],
    }


def messages(
    headers: Iterable[tuple[bytes, bytes]], x_cache: bytes, at: Moment, answer: Rendered
) -> tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent]:
    """A 304 with no body when the request's validators match, else the 200."""
    if not_modified(headers, answer.tag[1], at.last_modified[1]):
        return unchanged(x_cache, at, answer), _NO_BODY
    return start(x_cache, at, answer), answer.body


async def send_answer(scope: Scope, send: Send, result: WeatherResult, answer: Rendered) -> None:
    """The answer to a request for `result`, rendered as `answer`."""
    at = answer.moment(time.time())
    head, body = messages(scope["headers"], result.outcome.value.encode(), at, answer)
    await send(head)
    await send(body)


class WeatherAnswer:
    """One rendered answer as an ASGI app: what the route returns to Litestar to send."""

    __slots__ = ("_answer", "_result")

    def __init__(self, result: WeatherResult, answer: Rendered) -> None:
        self._result = result
        self._answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_answer(scope, send, self._result, self._answer)
