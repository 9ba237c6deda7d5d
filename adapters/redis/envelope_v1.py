"""The cache's first envelope (tag 1), still read: entries written before the current one
(envelope.py) decode as they were, so a rolling upgrade serves what the old version
stored. Nothing writes it any more."""

from __future__ import annotations

import msgspec


# array_like: fields by position, no names on the wire. The tag leads every envelope.
class _WeatherFields(msgspec.Struct, array_like=True):
    """The weather's fields but its provider, last, which each version stores its way."""

    city: str | None  # None for a point asked by its coordinates
    temperature: float
    humidity: float | None
    description: int | str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    observed_at: str | None


class _WeatherV1(_WeatherFields):
    provider: str


class _PlainEntryV1(msgspec.Struct, array_like=True, tag=1):
    """Times in whole milliseconds; fresh and stale ends relative to the fetch (fewer bytes)."""

    weather: _WeatherV1 | None
    fetched_ms: int
    fresh_ms: int
    stale_ms: int
    retry_after_ms: int
    failures: int
    fetch_ms: int


class _EntryV1(_PlainEntryV1, tag=1):
    """`unusable` and `provider` came later, as trailing fields with defaults: envelopes
    written before them decode with no provider (an entry nobody owns). Only entries
    without weather were written with them (an entry with weather names its provider in
    it); the version before read these too (msgspec drops trailing fields a struct does
    not have)."""

    unusable: str | None = None
    provider: str | None = None


class _FencedEntryV1(_EntryV1, tag=1):
    """`fence` came last, the same way: envelopes without it decode with fence 0. It is
    the envelope's 11th element, where the cache's write script (cache.py) reads it."""

    fence: int = 0
