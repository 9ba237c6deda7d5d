"""The /weather 200 (or 304) answer, rendered in one place for the route and the fast path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http import caching_headers
from entrypoints.http.caching_headers import cache_control, etag, last_modified, not_modified
from entrypoints.http.schemas import WeatherResponse
from entrypoints.http.units import METRIC, Units

WEATHER_PATH = "/weather"
HIT = CacheOutcome.HIT.value.encode()

_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")
_NO_BODY: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}


class Rendered(NamedTuple):
    """What every send of one answer shares, built once: a send adds X-Cache, Age and the
    Cache-Control of the moment."""

    tag: tuple[bytes, bytes]  # the ETag header
    modified: tuple[bytes, bytes]  # the Last-Modified header
    length: tuple[bytes, bytes]
    body: HTTPResponseBodyEvent  # the http.response.body message


def encode_body(result: WeatherResult, units: Units = METRIC) -> bytes:
    return _ENCODER.encode(WeatherResponse.from_domain(result, units))


def render(result: WeatherResult, units: Units = METRIC) -> Rendered:
    body = encode_body(result, units)
    return Rendered(
        (b"etag", etag(result, units.encode())),
        (b"last-modified", last_modified(result)),
        (b"content-length", b"%d" % len(body)),
        {"type": "http.response.body", "body": body, "more_body": False},
    )


Freshness = tuple[bytes, bytes]  # the Cache-Control header of one moment


def freshness(max_age_s: float, stale_window_s: float) -> Freshness:
    return (b"cache-control", cache_control(max_age_s, stale_window_s))


def start(
    x_cache: bytes, age_s: float, fresh: Freshness, answer: Rendered
) -> HTTPResponseStartEvent:
    """The status and headers of a 200: freshness and validators, X-Cache, Age in whole
    seconds, the length."""
    return {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            _JSON,
            fresh,
            answer.tag,
            answer.modified,
            (b"x-cache", x_cache),
            (b"age", b"%d" % age_s),
            answer.length,
        ],
    }


def unchanged(
    x_cache: bytes, age_s: float, fresh: Freshness, answer: Rendered
) -> HTTPResponseStartEvent:
    """A 304: the headers a 200 would carry but those of its body (RFC 9110, 15.4.5)."""
    return {
        "type": "http.response.start",
        "status": 304,
        "headers": [
            fresh,
            answer.tag,
            answer.modified,
            (b"x-cache", x_cache),
            (b"age", b"%d" % age_s),
        ],
    }


def messages(
    headers: Iterable[tuple[bytes, bytes]],
    x_cache: bytes,
    age_s: float,
    fresh: Freshness,
    answer: Rendered,
) -> tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent]:
    """A 304 with no body when the request's validators match, else the 200."""
    if not_modified(headers, answer.tag[1], answer.modified[1]):
        return unchanged(x_cache, age_s, fresh, answer), _NO_BODY
    return start(x_cache, age_s, fresh, answer), answer.body


async def send_answer(scope: Scope, send: Send, result: WeatherResult, answer: Rendered) -> None:
    """The answer to a request for `result`, rendered as `answer`."""
    fresh = freshness(caching_headers.max_age(result), caching_headers.stale_window(result))
    head, body = messages(
        scope["headers"], result.outcome.value.encode(), result.age_s, fresh, answer
    )
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
