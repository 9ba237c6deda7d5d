"""The /weather answer, in one place for the route, the fast path and the near cache: its
body, its headers (RFC 9110, 9111, 5861) and, to a conditional request, whether it is a 304.

The model (docs/API.md, "HTTP caching"): an answer is generated when it is sent, and says
so in its Date; it carries no Age. Its max-age is what is left of the entry's freshness
counted from that Date, so a cache that reads Age and Date (RFC 9111 4.2.3) and nginx,
which reads neither, both keep it until the entry turns stale and not a second longer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import NamedTuple

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from domain.model.outcome import CacheOutcome, WeatherResult
from entrypoints.http.middleware.dates import http_date
from entrypoints.http.weather.etag import etag
from entrypoints.http.weather.schemas import WeatherResponse
from entrypoints.http.weather.units import METRIC, Units

# A stale answer may be kept this long: enough for a cache in front to replace a fresh
# copy it holds (nginx keeps nothing with max-age=0), short enough to see the refresh soon.
STALE_MAX_AGE_S = 1

HIT = CacheOutcome.HIT.value.encode()
_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")
_NO_BODY: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}

Messages = tuple[HTTPResponseStartEvent, HTTPResponseBodyEvent]


class Lifetime(NamedTuple):
    """An answer's times, in epoch seconds, fixed when it is rendered."""

    fresh_until: float | None  # None: a stale answer
    stale_until: float  # after this, not even served stale
    modified_s: int  # Last-Modified: the fetch, or (stale) the moment it was rendered


class Moment(NamedTuple):
    """The headers of one answer that depend on when it is sent."""

    date: tuple[bytes, bytes]
    cache_control: tuple[bytes, bytes]
    last_modified: tuple[bytes, bytes]


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
            second.hit_start.append(_ok(HIT, second.moment, self))
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


def lifetime(result: WeatherResult, now: float) -> Lifetime:
    """The result's durations, counted from `now`, the moment it is rendered."""
    stale_until = now + result.stale_for_s
    if result.stale:
        return Lifetime(None, stale_until, math.floor(now))
    return Lifetime(now + result.fresh_for_s, stale_until, math.floor(result.fetched_at))


def moment(life: Lifetime, now: float) -> Moment:
    """Date is `now` in whole seconds; max-age counts from it to the last whole second of
    freshness, so Date + max-age is never after the entry turns stale (RFC 9111 4.2.1);
    Last-Modified is never after Date (RFC 9110 8.8.2.1)."""
    date_s = math.floor(now)
    left_s = max(math.floor(life.stale_until) - date_s, 0)
    if life.fresh_until is None:
        max_age_s = min(STALE_MAX_AGE_S, left_s)
    else:
        max_age_s = min(max(math.floor(life.fresh_until) - date_s, 0), left_s)
    return Moment(
        (b"date", http_date(date_s)),
        (b"cache-control", cache_control(max_age_s, left_s - max_age_s)),
        (b"last-modified", http_date(min(life.modified_s, date_s))),
    )


def cache_control(max_age_s: int, stale_window_s: int) -> bytes:
    """After max-age a cache may serve the answer stale, while it revalidates or when
    Skycache fails, as long as Skycache itself would."""
    return b"public, max-age=%d, stale-while-revalidate=%d, stale-if-error=%d" % (
        max_age_s,
        stale_window_s,
        stale_window_s,
    )


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


def not_modified(headers: Iterable[tuple[bytes, bytes]], tag: bytes, modified: bytes) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present (weak comparison, so a W/ tag
    a cache weakened still matches); If-Modified-Since only without it."""
    since = None
    for name, value in headers:
        if name == b"if-none-match":
            return _matches(value, tag)
        if name == b"if-modified-since":
            since = value
    return since is not None and _not_after(modified, since)


def _matches(value: bytes, tag: bytes) -> bool:
    for candidate in value.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == tag:
            return True
    return False


def _not_after(modified: bytes, since: bytes) -> bool:
    try:
        return parsedate_to_datetime(modified.decode()) <= parsedate_to_datetime(
            since.decode("latin-1")
        )
    except (TypeError, ValueError, IndexError):  # an unreadable date is ignored (RFC 9110)
        return False


async def send_answer(scope: Scope, send: Send, result: WeatherResult, answer: Rendered) -> None:
    """The answer to a request for `result`, rendered as `answer`."""
    x_cache = result.outcome.value.encode()
    head, body = answer.messages(scope["headers"], x_cache, time.time())
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
