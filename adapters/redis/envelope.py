"""The cache's wire format: compact msgpack envelopes for CacheEntry and Location."""

from __future__ import annotations

import msgspec

from domain.model.entry import CacheEntry
from domain.model.weather import Location, Weather
from domain.model.wmo_codes import WMO_CODES

# Descriptions are stored as their WMO code: a dozen bytes fewer per city. The codes are
# WMO's, not ours, so they stay stable; any other text is stored as is.
_CODE_OF = {text: code for code, text in WMO_CODES.items()}
_MAX_EXACT_INT = 2**53


# array_like: fields by position, no names on the wire. tag=1 leads every envelope, so an
# envelope of another version fails to decode (and is treated as a miss).
class _WeatherV1(msgspec.Struct, array_like=True):
    city: str | None  # None for a point asked by its coordinates
    temperature: float
    humidity: float | None
    description: int | str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    observed_at: str | None
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
    written before them still decode (with no provider: an entry nobody owns). Only
    entries without weather are encoded with them (an entry with weather names its
    provider in it), so those stay byte for byte what they were; and the version before
    still reads these (msgspec drops trailing fields a struct does not have)."""

    unusable: str | None = None
    provider: str | None = None


class _FencedEntryV1(_EntryV1, tag=1):
    """`fence` came last, the same way: envelopes without it decode with fence 0, and the
    version before reads these (dropping it). It is the envelope's 11th element, where
    the cache's write script (cache.py) reads it; entries with fence 0 are encoded
    without it, byte for byte as before."""

    fence: int = 0


class _LocationV1(msgspec.Struct, array_like=True, tag=1):
    name: str
    latitude: float
    longitude: float
    country: str | None
    timezone: str | None


_encoder = msgspec.msgpack.Encoder()
_entry_decoder = msgspec.msgpack.Decoder(_FencedEntryV1)
_location_decoder = msgspec.msgpack.Decoder(_LocationV1)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _num(value: float) -> float:
    """Whole floats travel as ints: 1 byte for a humidity of 64 instead of 9."""
    if value.is_integer() and abs(value) < _MAX_EXACT_INT:
        return int(value)
    return value


def encode_entry(entry: CacheEntry) -> bytes:
    """Times are kept to the millisecond."""
    fetched = _ms(entry.fetched_at)
    w = entry.weather
    weather = None
    if w is not None:
        weather = _WeatherV1(
            w.city,
            _num(w.temperature),
            None if w.humidity is None else _num(w.humidity),
            None if w.description is None else _CODE_OF.get(w.description, w.description),
            w.country,
            w.latitude,
            w.longitude,
            w.observed_at,
            w.provider,
        )
    fields = (
        weather,
        fetched,
        _ms(entry.fresh_until) - fetched,
        _ms(entry.stale_until) - fetched,
        _ms(entry.retry_after),
        entry.failures,
        _ms(entry.fetch_s),
    )
    if entry.fence:
        return _encoder.encode(_FencedEntryV1(*fields, entry.unusable, entry.provider, entry.fence))
    if weather is None:
        return _encoder.encode(_EntryV1(*fields, entry.unusable, entry.provider))
    return _encoder.encode(_PlainEntryV1(*fields))


def decode_entry(raw: bytes) -> CacheEntry:
    """Raises msgspec.DecodeError for anything but a v1 entry envelope."""
    env = _entry_decoder.decode(raw)
    w = env.weather
    weather = None
    if w is not None:
        text = w.description
        if isinstance(text, int):
            text = WMO_CODES.get(text, str(text))
        weather = Weather(
            city=w.city,
            temperature=w.temperature,
            humidity=w.humidity,
            description=text,
            country=w.country,
            latitude=w.latitude,
            longitude=w.longitude,
            observed_at=w.observed_at,
            provider=w.provider,
        )
    return CacheEntry(
        weather=weather,
        fetched_at=env.fetched_ms / 1000,
        fresh_until=(env.fetched_ms + env.fresh_ms) / 1000,
        stale_until=(env.fetched_ms + env.stale_ms) / 1000,
        retry_after=env.retry_after_ms / 1000,
        failures=env.failures,
        fetch_s=env.fetch_ms / 1000,
        unusable=env.unusable,
        provider=env.provider,
        fence=env.fence,
    )


def encode_location(loc: Location) -> bytes:
    return _encoder.encode(
        _LocationV1(loc.name, loc.latitude, loc.longitude, loc.country, loc.timezone)
    )


def decode_location(raw: bytes) -> Location:
    """Raises msgspec.DecodeError for anything but a v1 location envelope."""
    return msgspec.convert(_location_decoder.decode(raw), Location, from_attributes=True)
