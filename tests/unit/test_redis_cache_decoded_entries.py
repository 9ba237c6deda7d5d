"""DecodedEntries: each envelope decoded once while it is hot, and never a wrong entry."""

from __future__ import annotations

import dataclasses
import time

import msgspec
import pytest

from adapters.redis.decoded_entries import DecodedEntries
from adapters.redis.envelope import decode_entry, encode_entry
from domain.model.entry import CacheEntry
from domain.model.weather import Weather

NOW = float(int(time.time()))  # entries alive now: one past its stale end is let go


def entry(city: str, fetched_at: float = NOW) -> CacheEntry:
    weather = Weather(city=city, temperature=3.0, humidity=60.0, description="Clear sky")
    return CacheEntry(
        weather=weather, fetched_at=fetched_at, fresh_until=fetched_at + 300,
        stale_until=fetched_at + 86_400,
    )  # fmt: skip


def test_the_same_bytes_give_the_very_same_entry() -> None:
    decoded = DecodedEntries()
    raw = encode_entry(entry("Boise"))
    first = decoded.decode("w:boise", raw)
    assert first == decode_entry(raw)
    assert decoded.decode("w:boise", bytes(bytearray(raw))) is first  # equal bytes, another object


def test_a_rewritten_envelope_gives_its_own_entry() -> None:
    decoded = DecodedEntries()
    old = decoded.decode("w:boise", encode_entry(entry("Boise")))
    new = decoded.decode("w:boise", encode_entry(entry("Boise", fetched_at=NOW + 60)))
    assert len(decoded) == 1  # one item a key: the old version is not kept
    assert new.fetched_at == NOW + 60
    assert old.fetched_at == NOW
    assert new == dataclasses.replace(old, fetched_at=NOW + 60, fresh_until=NOW + 360,
                                      stale_until=NOW + 60 + 86_400)  # fmt: skip


def test_it_is_bounded_and_forgets_the_oldest_first() -> None:
    decoded = DecodedEntries(max_items=2)
    raws = [encode_entry(entry(city)) for city in ("Boise", "Eugene", "Topeka")]
    names = ["w:boise", "w:eugene", "w:topeka"]
    first = [decoded.decode(name, raw) for name, raw in zip(names, raws, strict=True)]
    assert len(decoded) == 2
    assert decoded.decode(names[2], raws[2]) is first[2]
    assert decoded.decode(names[0], raws[0]) is not first[0]  # decoded again
    assert decoded.decode(names[0], raws[0]) == first[0]


def test_a_corrupt_envelope_raises_every_time_and_is_not_kept() -> None:
    decoded = DecodedEntries()
    for _ in range(2):
        with pytest.raises(msgspec.DecodeError):
            decoded.decode("w:boise", b"\x93garbage")
    assert len(decoded) == 0


def test_the_same_bytes_under_another_key_are_decoded_for_that_key() -> None:
    decoded = DecodedEntries()
    raw = encode_entry(entry("Boise"))
    assert decoded.decode("w:a", raw) == decoded.decode("w:b", raw)
    assert len(decoded) == 2


def test_an_entry_past_its_stale_end_is_let_go_by_a_later_write_without_a_read() -> None:
    """Keys read once (a point, an unknown name) do not stay until the count bound."""
    decoded = DecodedEntries()
    now = time.time()
    gone = dataclasses.replace(entry("Boise", now - 100), stale_until=now - 0.001)
    live = dataclasses.replace(entry("Eugene", now - 100), stale_until=now + 60)
    decoded.decode("w:boise", encode_entry(gone))
    decoded.decode("w:eugene", encode_entry(live))  # the write that sweeps
    assert decoded.expires_at("w:boise") is None
    assert decoded.expires_at("w:eugene") == pytest.approx(live.stale_until, abs=0.001)  # ms
