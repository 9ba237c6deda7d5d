"""Bounded trust at the edges: Retry-After parsed and clamped, the client's header a whole
number within the clamp, envelopes old and new, WMO codes of any shape."""

from __future__ import annotations

import email.utils
import time

import msgspec
import pytest

from adapters.providers.http import HttpLimits, retry_after_s_of
from adapters.redis.envelope import decode_entry, encode_entry
from adapters.redis.envelope_v1 import _EntryV1
from domain.model.entry import CacheEntry
from domain.model.policy import CachePolicy
from domain.model.provenance import ProviderChain
from domain.model.weather import Weather
from domain.model.wmo_codes import describe
from entrypoints.http.errors import retry_after

LIMITS = HttpLimits(retry_after_max_s=3_600)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1e308", 3_600.0),
        ("99999999999999999999", 3_600.0),
        ("Thu, 01 Jan 2099 00:00:00 GMT", 3_600.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),  # a date in the past: now
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("2099-01-01", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_in_both_forms_and_clamped(
    header: str | None, seconds: float | None
) -> None:
    assert retry_after_s_of(header, LIMITS) == seconds


def test_an_http_date_a_minute_ahead_is_a_minute() -> None:
    header = email.utils.formatdate(time.time() + 60, usegmt=True)
    wait = retry_after_s_of(header, LIMITS)
    assert wait is not None and 55 <= wait <= 60


@pytest.mark.parametrize(
    ("wait", "ceiling", "header"),
    [(0.2, 3600, "1"), (59.1, 3600, "60"), (2.3e9, 3600, "3600"), (None, 3600, "5"),
     (float("inf"), 3600, "5"), (86_399.5, 300, "300")],
)  # fmt: skip
def test_the_retry_after_sent_to_clients_is_a_whole_number_within_the_ceiling(
    wait: float | None, ceiling: float, header: str
) -> None:
    assert retry_after(wait, ceiling) == header


@pytest.mark.parametrize(
    ("code", "text"),
    [(3, "Overcast"), (3.0, "Overcast"), (42, "Unknown (code 42)"), (3.5, None), (-1, None),
     (1e308, None), (None, None)],
)  # fmt: skip
def test_a_weather_code_describes_itself_when_it_is_a_whole_wmo_code(
    code: float | None, text: str | None
) -> None:
    assert describe(code) == text


NOW = 1_717_243_200.125


def test_an_envelope_written_before_entries_named_their_provider_decodes_as_nobodys() -> None:
    # A negative entry as a previous version wrote it: [tag, nil, fetched, fresh, stale,
    # retry_after, failures, fetch] in msgpack.
    old = b"\x98\x01\xc0\xcd\x03\xe8\xcd\x03\xe8\xcd\x07\xd0\x00\x00\x00"
    entry = decode_entry(old)
    assert entry.weather is None and entry.unusable is None and entry.provider is None
    assert not ProviderChain.named("open-meteo").owns(entry)  # fetched anew, not served


def test_a_negative_entry_round_trips_with_the_provider_that_said_it() -> None:
    negative = CachePolicy().negative_entry(NOW, provider="open-meteo")
    decoded = decode_entry(encode_entry(negative))
    assert decoded == negative
    assert ProviderChain.named("open-meteo,openweathermap").owns(decoded)
    assert not ProviderChain.named("openweathermap,open-meteo").owns(decoded)


def test_a_negative_entry_the_version_before_wrote_keeps_the_provider_that_said_it() -> None:
    fetched_ms = round(NOW * 1000)
    before = _EntryV1(None, fetched_ms, 1_000, 1_000, 0, 0, 0, None, "open-meteo")
    entry = decode_entry(msgspec.msgpack.encode(before))
    assert (entry.weather, entry.unusable, entry.provider) == (None, None, "open-meteo")
    assert ProviderChain.named("open-meteo,openweathermap").owns(entry)


def test_an_unusable_entry_and_null_fields_round_trip_through_the_envelope() -> None:
    unusable = CachePolicy().unusable_entry(NOW, "x", provider="open-meteo,openweathermap")
    sparse = CacheEntry(
        weather=Weather(city="Boise", temperature=3.5, humidity=None, description=None),
        fetched_at=NOW,
        fresh_until=NOW + 300,
        stale_until=NOW + 86_400,
    )
    assert decode_entry(encode_entry(unusable)) == unusable
    assert decode_entry(encode_entry(unusable)).is_unusable
    assert decode_entry(encode_entry(sparse)) == sparse
