"""What caches downstream need of a /weather answer (RFC 9110, 9111, 5861): its validators
(ETag, Last-Modified), its Date and freshness (conditional requests: conditional.py).

The model (docs/API.md, "HTTP caching"): an answer is generated when it is sent, and says
so in its Date; it carries no Age. Its max-age is what is left of the entry's freshness
counted from that Date, so a cache that reads Age and Date (RFC 9111 4.2.3) and nginx,
which reads neither, both keep it until the entry turns stale and not a second longer.
"""

from __future__ import annotations

import base64
import hashlib
import math
from typing import NamedTuple

import msgspec
from litestar.datastructures import CacheControlHeader

from domain.model.outcome import WeatherResult
from entrypoints.http.middleware.dates import http_date

# For /stats, /healthz, /metrics: each answer is of its moment.
NO_STORE = CacheControlHeader(no_store=True)
# A stale answer may be kept this long: enough for a cache in front to replace a fresh
# copy it holds (nginx keeps nothing with max-age=0), short enough to see the refresh soon.
STALE_MAX_AGE_S = 1
_ENCODER = msgspec.json.Encoder()
_MAX_TAGS = 4096
_TAGS: dict[int, tuple[object, bytes, bytes]] = {}


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


def etag(result: WeatherResult, representation: bytes) -> bytes:
    """Strong, so it names the very bytes of the body: the weather and its rendering
    (`representation`: the units), whether it is stale, and its age in whole seconds, which
    is all WeatherResponse.from_domain reads. A stale body never matches a fresh one's tag.

    A hot city's reads return the very same Weather until its entry is rewritten
    (adapters/redis/cache.py, DecodedEntries), so the weather's part is hashed once, not on
    every hit; the rest is formatted."""
    state = b"s" if result.stale else b"f"
    return b'"%s.%s%d"' % (_weather_tag(result, representation), state, int(result.age_s))


def _weather_tag(result: WeatherResult, representation: bytes) -> bytes:
    weather = result.weather
    known = _TAGS.get(id(weather))
    if known is not None and known[0] is weather and known[1] == representation:
        return known[2]
    digest = hashlib.blake2b(_ENCODER.encode(weather), digest_size=12)
    digest.update(representation)
    tag = base64.urlsafe_b64encode(digest.digest())
    if len(_TAGS) >= _MAX_TAGS:
        _TAGS.clear()
    # The Weather is kept with its tag: its id cannot be reused while it is in here.
    _TAGS[id(weather)] = (weather, representation, tag)
    return tag
