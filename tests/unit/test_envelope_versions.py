"""The cache's envelope across versions: what the version before wrote (tag 1) still
decodes, what this one writes is shorter and never misread by the version before, and a
provider code always names the same provider."""

from __future__ import annotations

from dataclasses import replace

import msgspec
import pytest

from adapters.providers.registry import SPECS
from adapters.redis.envelope import decode_entry, encode_entry
from adapters.redis.envelope_v1 import _EntryV1, _FencedEntryV1, _PlainEntryV1, _WeatherV1
from adapters.redis.provider_codes import PROVIDER_CODES
from domain.model.entry import CacheEntry
from tests.support.samples import SAN_JOSE

NOW_MS = 1_796_540_851_799
FENCE = NOW_MS - 12  # the fetch started 12 ms before it was stored
ENTRY = CacheEntry(
    weather=SAN_JOSE,
    fetched_at=NOW_MS / 1000,
    fresh_until=NOW_MS / 1000 + 300,
    stale_until=NOW_MS / 1000 + 86_400,
    fetch_s=0.012,
    fence=FENCE,
)
# Every code given so far: a code never changes meaning, so this list only grows.
GIVEN = {"open-meteo": 1, "openweathermap": 2, "simulated": 3}
# As the version before stored it: the description as its WMO code, humidity a whole int.
_V1_WEATHER = msgspec.structs.replace(
    _WeatherV1(*(getattr(SAN_JOSE, name) for name in _WeatherV1.__struct_fields__)),
    description=2,
    humidity=64,
)
_V1_TIMES = (NOW_MS, 300_000, 86_400_000, 0, 0, 12)
_FENCED_V1 = _FencedEntryV1(_V1_WEATHER, *_V1_TIMES, None, None, FENCE)


@pytest.mark.parametrize(
    ("v1", "entry"),
    [
        pytest.param(_PlainEntryV1(_V1_WEATHER, *_V1_TIMES), replace(ENTRY, fence=0), id="plain"),
        pytest.param(_FENCED_V1, ENTRY, id="fenced"),
        pytest.param(
            _EntryV1(None, *_V1_TIMES, "bad shape", "open-meteo,openweathermap"),
            replace(
                ENTRY,
                weather=None,
                unusable="bad shape",
                fence=0,
                provider="open-meteo,openweathermap",
            ),
            id="unusable",
        ),
        pytest.param(
            _EntryV1(None, *_V1_TIMES, None, "simulated"),
            replace(ENTRY, weather=None, provider="simulated", fence=0),
            id="negative",
        ),
    ],
)
def test_what_the_version_before_wrote_decodes_as_it_did(v1: object, entry: CacheEntry) -> None:
    assert decode_entry(msgspec.msgpack.encode(v1)) == entry


@pytest.mark.parametrize(
    "entry",
    [
        ENTRY,
        replace(ENTRY, fence=0),
        replace(ENTRY, fence=NOW_MS + 5_000),  # a lease granted on a clock ahead of ours
        replace(ENTRY, weather=None, provider="open-meteo,openweathermap", unusable="x"),
        replace(ENTRY, weather=replace(SAN_JOSE, provider="met-no")),  # a name without a code
        replace(ENTRY, retry_after=NOW_MS / 1000 + 30, failures=2),
    ],
)
def test_an_entry_round_trips(entry: CacheEntry) -> None:
    assert decode_entry(encode_entry(entry)) == entry


def test_the_fence_stays_the_11th_element_where_the_write_script_reads_it() -> None:
    for raw in (encode_entry(ENTRY), msgspec.msgpack.encode(_FENCED_V1)):
        assert msgspec.msgpack.decode(raw)[10] == FENCE


def test_the_version_before_reads_this_versions_envelope_as_another_versions() -> None:
    """A miss there (counted, fetched again), never an entry read wrongly."""
    with pytest.raises(msgspec.ValidationError):
        msgspec.msgpack.decode(encode_entry(ENTRY), type=_FencedEntryV1)


def test_this_version_stores_a_city_in_fewer_bytes_than_the_one_before() -> None:
    before = msgspec.msgpack.encode(_FENCED_V1)
    assert len(encode_entry(ENTRY)) <= len(before) - 18  # provider code, fetch after fence


def test_provider_codes_never_change_and_every_provider_has_one() -> None:
    assert PROVIDER_CODES.items() >= GIVEN.items()
    assert len(set(PROVIDER_CODES.values())) == len(PROVIDER_CODES)
    assert {spec.name for spec in SPECS} <= PROVIDER_CODES.keys()


def test_a_provider_code_this_version_does_not_know_is_another_versions_envelope() -> None:
    stored = msgspec.msgpack.decode(encode_entry(ENTRY))
    stored[1][8] = max(PROVIDER_CODES.values()) + 1
    with pytest.raises(msgspec.DecodeError):
        decode_entry(msgspec.msgpack.encode(stored))
