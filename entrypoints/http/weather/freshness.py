"""How long a /weather answer may be kept, and the headers that say so (RFC 9110, 9111, 5861).

The model (docs/API.md, "HTTP caching"): an answer is generated when it is sent, and says
so in its Date; it carries no Age. Its max-age is what is left of the entry's freshness
counted from that Date, so a cache that reads Age and Date (RFC 9111 4.2.3) and nginx,
which reads neither, both keep it until the entry turns stale and not a second longer.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from domain.model.outcome import WeatherResult
from entrypoints.http.middleware.dates import http_date

# A stale answer may be kept this long: enough for a cache in front to replace a fresh
# copy it holds (nginx keeps nothing with max-age=0), short enough to see the refresh soon.
STALE_MAX_AGE_S = 1


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
