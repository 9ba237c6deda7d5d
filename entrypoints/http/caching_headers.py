"""What caches downstream need of a /weather answer (RFC 9111, RFC 5861): its freshness,
its validators (ETag, Last-Modified), and whether a conditional request is answered 304."""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from collections.abc import Iterable
from email.utils import formatdate, parsedate_to_datetime

import msgspec
from litestar.datastructures import CacheControlHeader

from domain.model.outcome import WeatherResult

# For /stats, /healthz, /metrics: each answer is of its moment.
NO_STORE = CacheControlHeader(no_store=True)
_ENCODER = msgspec.json.Encoder()
_MAX_TAGS = 4096
_TAGS: dict[int, tuple[object, bytes, bytes]] = {}


def cache_control(max_age_s: float, stale_window_s: float) -> bytes:
    """max-age is what is left of the entry's freshness (0 once stale); a cache may then
    serve it stale, while it revalidates or when Skycache fails, as long as Skycache would.

    An Age-aware cache counts max-age from the Age we send as well, so it refreshes a
    little early: never later than Skycache itself would (README, "HTTP caching")."""
    # Rounded: the near cache reads its own clock, a hair after the entry's.
    return b"public, max-age=%d, stale-while-revalidate=%d, stale-if-error=%d" % (
        round(max_age_s),
        stale_window_s,
        stale_window_s,
    )


def max_age(result: WeatherResult) -> float:
    return 0.0 if result.stale else result.fresh_for_s


def stale_window(result: WeatherResult) -> float:
    """How long after max-age runs out the answer may still be served stale."""
    return max(result.stale_for_s - max_age(result), 0.0)


def etag(result: WeatherResult, representation: bytes) -> bytes:
    """Strong, and a function of the weather only: equal across workers and restarts, and
    unchanged by a refresh that brings the same weather. `representation` tells apart the
    renderings of one weather (units).

    A hot city's reads return the very same Weather until its entry is rewritten
    (adapters/redis/cache.py, DecodedEntries), so its tag is computed once, not on every
    hit (about 1.9 µs of a Redis hit's ~80)."""
    weather = result.weather
    known = _TAGS.get(id(weather))
    if known is not None and known[0] is weather and known[1] == representation:
        return known[2]
    digest = hashlib.blake2b(_ENCODER.encode(weather), digest_size=12)
    digest.update(representation)
    tag = b'"' + base64.urlsafe_b64encode(digest.digest()) + b'"'
    if len(_TAGS) >= _MAX_TAGS:
        _TAGS.clear()
    # The Weather is kept with its tag: its id cannot be reused while it is in here.
    _TAGS[id(weather)] = (weather, representation, tag)
    return tag


def last_modified(result: WeatherResult) -> bytes:
    return _http_date(math.floor(result.fetched_at))


@functools.lru_cache(maxsize=4096)
def _http_date(epoch_s: int) -> bytes:
    # email.utils.formatdate costs ~3 µs; an entry keeps its fetch time for its life.
    return formatdate(epoch_s, usegmt=True).encode()


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
