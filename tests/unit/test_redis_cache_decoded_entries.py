"""DecodedEntries: each envelope decoded once while it is hot, and never a wrong entry."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest

from adapters.redis.cache import DecodedEntries
from adapters.redis.envelope import decode_entry, encode_entry
from domain.model.entry import CacheEntry
from domain.model.weather import Weather

NOW = 1_700_000_000.0


def entry(city: str, fetched_at: float = NOW) -> CacheEntry:
    weather = Weather(city=city, temperature=3.0, humidity=60.0, description="Clear sky")
    return CacheEntry(
        weather=weather, fetched_at=fetched_at, fresh_until=fetched_at + 300,
        stale_until=fetched_at + 86_400,
    )  # fmt: skip


def test_the_same_bytes_give_the_very_same_entry() -> None:
    decoded = DecodedEntries()
    raw = encode_entry(entry("Boise"))
    first = decoded.decode(raw)
    assert first == decode_entry(raw)
    assert decoded.decode(bytes(bytearray(raw))) is first  # equal bytes, another object


def test_a_rewritten_envelope_gives_its_own_entry() -> None:
    decoded = DecodedEntries()
    old = decoded.decode(encode_entry(entry("Boise")))
    new = decoded.decode(encode_entry(entry("Boise", fetched_at=NOW + 60)))
    assert new.fetched_at == NOW + 60
    assert old.fetched_at == NOW
    assert new == dataclasses.replace(old, fetched_at=NOW + 60, fresh_until=NOW + 360,
                                      stale_until=NOW + 60 + 86_400)  # fmt: skip


def test_it_is_bounded_and_forgets_the_oldest_first() -> None:
    decoded = DecodedEntries(max_items=2)
    raws = [encode_entry(entry(city)) for city in ("Boise", "Eugene", "Topeka")]
    first = [decoded.decode(raw) for raw in raws]
    assert len(decoded) == 2
    assert decoded.decode(raws[2]) is first[2]
    assert decoded.decode(raws[0]) is not first[0]  # decoded again
    assert decoded.decode(raws[0]) == first[0]


def test_a_corrupt_envelope_raises_every_time_and_is_not_kept() -> None:
    decoded = DecodedEntries()
    for _ in range(2):
        with pytest.raises(msgspec.DecodeError):
            decoded.decode(b"\x93garbage")
    assert len(decoded) == 0
