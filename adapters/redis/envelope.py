"""The cache's wire format: compact msgpack envelopes for CacheEntry and Location.

Entries are written as version 2 (tag 2) and read in either version: the first
(envelope_v1.py) is what a version before this one wrote, still in Redis during a rolling
upgrade. A version that knows only the first reads a version-2 envelope as another
version's: a miss, counted, which it fetches again (docs/BENCHMARKS.md, "Redis memory per
city")."""

from __future__ import annotations

import msgspec

from adapters.redis.envelope_v1 import _FencedEntryV1, _WeatherFields, _WeatherV1
from adapters.redis.provider_codes import provider_code, provider_name
from domain.model.entry import CacheEntry
from domain.model.weather import Location, Weather
from domain.model.wmo_codes import WMO_CODES

# Descriptions are stored as their WMO code: a dozen bytes fewer per city. The codes are
# WMO's, not ours, so they stay stable; any other text is stored as is.
_CODE_OF = {text: code for code, text in WMO_CODES.items()}
_MAX_EXACT_INT = 2**53


# array_like: fields by position, no names on the wire; the tag leads every envelope.
class _WeatherV2(_WeatherFields):
    """The first version's fields, in their places; the provider may be a code."""

    provider: int | str


class _EntryV2(msgspec.Struct, array_like=True, tag=2):
    """Times in whole milliseconds, the fetch's relative to the fence (a few bytes where
    an epoch takes nine: the fence is the fetch's start or its lease's grant), the rest
    relative to the fetch. `fence` stays the 11th element, where the cache's write script
    (cache.py) reads it in either version."""

    weather: _WeatherV2 | None
    fetched_after_fence_ms: int
    fresh_ms: int
    stale_ms: int
    retry_after_ms: int
    failures: int
    fetch_ms: int
    unusable: str | None
    provider: int | str | None
    fence: int


class _LocationV1(msgspec.Struct, array_like=True, tag=1):
    name: str
    latitude: float
    longitude: float
    country: str | None
    timezone: str | None


_encoder = msgspec.msgpack.Encoder()
_entry_decoder = msgspec.msgpack.Decoder(_EntryV2 | _FencedEntryV1)
_location_decoder = msgspec.msgpack.Decoder(_LocationV1)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _num(value: float) -> float:
    """Whole floats travel as ints: 1 byte for a humidity of 64 instead of 9."""
    if value.is_integer() and abs(value) < _MAX_EXACT_INT:
        return int(value)
    return value


def _stored_weather(w: Weather) -> _WeatherV2:
    return _WeatherV2(
        w.city,
        _num(w.temperature),
        None if w.humidity is None else _num(w.humidity),
        None if w.description is None else _CODE_OF.get(w.description, w.description),
        w.country,
        w.latitude,
        w.longitude,
        w.observed_at,
        provider_code(w.provider),
    )


def encode_entry(entry: CacheEntry) -> bytes:
    """Times are kept to the millisecond."""
    fetched = _ms(entry.fetched_at)
    return _encoder.encode(
        _EntryV2(
            None if entry.weather is None else _stored_weather(entry.weather),
            fetched - entry.fence,
            _ms(entry.fresh_until) - fetched,
            _ms(entry.stale_until) - fetched,
            _ms(entry.retry_after),
            entry.failures,
            _ms(entry.fetch_s),
            entry.unusable,
            None if entry.provider is None else provider_code(entry.provider),
            entry.fence,
        )
    )


def _weather(w: _WeatherV2 | _WeatherV1) -> Weather:
    text = w.description
    if isinstance(text, int):
        text = WMO_CODES.get(text, str(text))
    return Weather(
        city=w.city,
        temperature=w.temperature,
        humidity=w.humidity,
        description=text,
        country=w.country,
        latitude=w.latitude,
        longitude=w.longitude,
        observed_at=w.observed_at,
        provider=provider_name(w.provider),
    )


def decode_entry(raw: bytes) -> CacheEntry:
    """Raises msgspec.DecodeError for anything but an entry envelope of either version."""
    env = _entry_decoder.decode(raw)
    if isinstance(env, _EntryV2):
        fetched_ms = env.fence + env.fetched_after_fence_ms
    else:
        fetched_ms = env.fetched_ms
    return CacheEntry(
        weather=None if env.weather is None else _weather(env.weather),
        fetched_at=fetched_ms / 1000,
        fresh_until=(fetched_ms + env.fresh_ms) / 1000,
        stale_until=(fetched_ms + env.stale_ms) / 1000,
        retry_after=env.retry_after_ms / 1000,
        failures=env.failures,
        fetch_s=env.fetch_ms / 1000,
        unusable=env.unusable,
        provider=None if env.provider is None else provider_name(env.provider),
        fence=env.fence,
    )


def encode_location(loc: Location) -> bytes:
    return _encoder.encode(
        _LocationV1(loc.name, loc.latitude, loc.longitude, loc.country, loc.timezone)
    )


def decode_location(raw: bytes) -> Location:
    """Raises msgspec.DecodeError for anything but a v1 location envelope."""
    return msgspec.convert(_location_decoder.decode(raw), Location, from_attributes=True)
