"""Fences: an entry from an older fetch never replaces a newer one, in the envelope's
format, the host copies and the near cache (the caches' contract holds the rest)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from adapters.host.copies import HostCopies
from adapters.redis.envelope import decode_entry, encode_entry
from adapters.redis.envelope_v1 import _EntryV1, _FencedEntryV1, _PlainEntryV1
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable, UpstreamUnavailable
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.use_cases.get_weather import fence_of
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.http.weather.rendered import render
from tests.unit.fakes import FakeClock
from tests.unit.test_fallback_cache import BOISE, NOW, SwitchableCache
from tests.unit.use_case import World

QUERY = WeatherQuery.parse("San Jose")
OLDER, NEWER = fence_of(NOW), fence_of(NOW) + 1  # one millisecond apart
SAN_JOSE = CacheEntry(
    weather=Weather(city="San Jose", temperature=18.5, humidity=61.0, description=None),
    fetched_at=NOW,
    fresh_until=NOW + 300,
    stale_until=NOW + 600,
)


def test_a_fence_is_the_fetch_start_in_whole_milliseconds() -> None:
    assert fence_of(1_717_243_200.1234) == 1_717_243_200_123


def test_a_fenced_entry_round_trips_and_an_unfenced_one_reads_as_fence_0() -> None:
    fenced = replace(SAN_JOSE, fence=NEWER)
    assert decode_entry(encode_entry(fenced)) == fenced
    assert decode_entry(encode_entry(SAN_JOSE)).fence == 0
    fields = len(_FencedEntryV1.__struct_fields__) + 1  # and the tag
    assert len(msgspec.msgpack.decode(encode_entry(fenced))) == fields  # 11th: fence


def test_envelopes_the_versions_before_fences_wrote_decode_with_fence_0() -> None:
    """Written before fences (tag 1, with or without the provider fields): still read."""
    fetched_ms = round(SAN_JOSE.fetched_at * 1000)
    times = (fetched_ms, 300_000, 600_000, 0, 0, 0)
    for before in (_PlainEntryV1(None, *times), _EntryV1(None, *times, None, "open-meteo")):
        read = decode_entry(msgspec.msgpack.encode(before))
        assert (read.fence, read.fetched_at, read.weather) == (0, SAN_JOSE.fetched_at, None)


async def test_a_host_copy_is_not_replaced_by_an_older_fetch(tmp_path: Path) -> None:
    shared, clock = SwitchableCache(), FakeClock(NOW)
    shared.down = True
    writer, late = (HostCopies(shared, shared, tmp_path, clock=clock) for _ in range(2))
    newer = replace(BOISE, fence=NEWER)
    with pytest.raises(CacheUnavailable):
        await writer.put("boise", newer, 300)
    with pytest.raises(CacheUnavailable):  # a sibling whose fetch started first
        await late.put("boise", replace(BOISE, fence=OLDER, failures=1), 300)
    assert await writer.get("boise") == newer
    with pytest.raises(CacheUnavailable):  # the same fetch rewriting: accepted
        await late.put("boise", replace(newer, failures=1), 300)
    assert await writer.get("boise") == replace(newer, failures=1)


def result(temperature: float, fence: int) -> WeatherResult:
    weather = Weather(city="Boise", temperature=temperature, humidity=None, description=None)
    return WeatherResult(
        weather=weather, outcome=CacheOutcome.MISS, age_s=0, fresh_for_s=300, fence=fence
    )


def _served(near: NearCache) -> bytes | None:
    """The body a hit on the near cache sends, if it holds one."""
    found = near.answer(b"city=Boise", [])
    return None if found is None else bytes(found[1]["body"])


def test_the_near_cache_keeps_a_newer_answer_until_it_expires() -> None:
    now = [100.0]
    near = NearCache(ttl_s=1.0, clock=lambda: now[0])
    newer, older = result(21.5, NEWER), result(9.0, OLDER)
    near.keep(b"city=Boise", newer, render(newer))
    near.keep(b"city=Boise", older, render(older))
    assert _served(near) == render(newer).body["body"]
    now[0] += 1.0  # the newer answer has left the near cache: the next one is kept
    near.keep(b"city=Boise", older, render(older))
    assert _served(near) == render(older).body["body"]


async def test_a_fetch_fences_its_entry_with_its_start() -> None:
    world = World()
    started = world.clock.now()
    await world.get_weather(QUERY)
    stored = await world.cache.get("san jose")
    assert stored is not None and stored.fence == fence_of(started)


async def test_a_failed_refresh_backs_off_with_its_own_fetch_fence() -> None:
    world = World()
    await world.get_weather(QUERY)
    world.clock.advance(301)
    world.provider.failing = UpstreamUnavailable("down")
    await world.get_weather(QUERY)  # stale: the refresh starts now, and fails
    await world.get_weather.drain()
    stored = await world.cache.get("san jose")
    assert stored is not None and stored.failures == 1
    assert stored.fence == fence_of(world.clock.now())  # not the stale entry's own
