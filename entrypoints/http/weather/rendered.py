"""The /weather answer rendered once, for the route, the fast path and the near cache: its
body and the headers every send of it shares; each send adds those of its second
(freshness.py) and, to a conditional request that still matches, answers a 304.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.serving.shared_start import shared
from entrypoints.http.weather.conditional import not_modified
from entrypoints.http.weather.etag import etag
from entrypoints.http.weather.freshness import Lifetime, Moment, lifetime, moment
from entrypoints.http.weather.schemas import WeatherResponse
from entrypoints.http.weather.units import METRIC, Units

HIT = CacheOutcome.HIT.value.encode()
_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")
_NO_BODY: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}

Messages = tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent]


class Second(NamedTuple):
    """One whole second of an answer: its moment, and the start of the 200 a fast-path hit
    (near cache or shared cache) sends in it, built at the first such hit for every hit
    of that second."""

    at: int
    moment: Moment
    hit_start: list[HTTPResponseStartEvent]  # empty until a fast-path hit needs it


class Rendered(NamedTuple):
    """What every send of one answer shares, built once: a send adds X-Cache and the
    headers of its moment, which a hot answer reuses all second long rather than format
    them on every hit."""

    tag: tuple[bytes, bytes]  # the ETag header
    length: tuple[bytes, bytes]
    body: HTTPResponseBodyEvent  # the http.response.body message
    life: Lifetime
    last: list[Second]  # the latest second an answer was sent in

    def second(self, now: float) -> Second:
        whole = int(now)
        last = self.last[0]
        if last.at != whole:
            last = self.last[0] = _second(self, now)
        return last

    def moment(self, now: float) -> Moment:
        return self.second(now).moment

    def messages(
        self, headers: Iterable[tuple[bytes, bytes]], x_cache: bytes, now: float
    ) -> Messages:
        """A 304 with no body when the request's validators match, else the 200."""
        at = self.moment(now)
        if not_modified(headers, self.tag[1], at.last_modified[1]):
            return _unchanged(x_cache, at, self), _NO_BODY
        return _ok(x_cache, at, self), self.body

    def hit(self, headers: Iterable[tuple[bytes, bytes]], now: float) -> Messages:
        """messages() for a hit the fast path sends (outside the app), whose 200 is the same
        message object for the whole second: whoever adds headers on the way out copies it
        first."""
        second = self.second(now)
        if not_modified(headers, self.tag[1], second.moment.last_modified[1]):
            return _unchanged(HIT, second.moment, self), _NO_BODY
        if not second.hit_start:  # a render that only the route sends skips it
            second.hit_start.append(shared(_ok(HIT, second.moment, self)))
        return second.hit_start[0], self.body


def encode_body(result: WeatherResult, units: Units = METRIC) -> bytes:
    return _ENCODER.encode(WeatherResponse.from_domain(result, units))


def render(result: WeatherResult, units: Units = METRIC, now: float | None = None) -> Rendered:
    """`now`: the moment the result's durations count from (the wall clock by default)."""
    body = encode_body(result, units)
    now = time.time() if now is None else now
    life = lifetime(result, now)
    rendered = Rendered(
        (b"etag", etag(result, units.encode())),
        (b"content-length", b"%d" % len(body)),
        {"type": "http.response.body", "body": body, "more_body": False},
        life,
        [],
    )
    rendered.last.append(_second(rendered, now))
    return rendered


def _second(answer: Rendered, now: float) -> Second:
    return Second(int(now), moment(answer.life, now), [])


def _ok(x_cache: bytes, at: Moment, answer: Rendered) -> HTTPResponseStartEvent:
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


def _unchanged(x_cache: bytes, at: Moment, answer: Rendered) -> HTTPResponseStartEvent:
    """A 304: the headers a 200 would carry but those of its body (RFC 9110, 15.4.5)."""
    return {
        "type": "http.response.start",
        "status": 304,
        "headers": [at.date, at.cache_control, answer.tag, at.last_modified, (b"x-cache", x_cache)],
    }
