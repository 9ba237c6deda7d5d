"""Key layout v2: what one city or one counter batch touches lives in one cluster slot."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from adapters.redis.keys import (
    APPLIED_PREFIX,
    BUDGET_PREFIX,
    MISSES_PREFIX,
    STATS_KEY,
    done_channel,
    lease_key,
    location_key,
    weather_key,
)


@pytest.mark.parametrize("city", ["san jose", "são paulo", "xi'an", "st. john's", "東京"])
def test_a_citys_entry_location_lease_and_channel_share_one_slot(city: str) -> None:
    names = [weather_key(city), location_key(city), lease_key(city), done_channel(city)]
    assert len({key_slot(name.encode()) for name in names}) == 1


def test_cities_spread_over_the_slots() -> None:
    slots = {key_slot(weather_key(f"city {n}").encode()) for n in range(100)}
    assert len(slots) > 90


def test_the_stats_hash_and_every_workers_applied_marker_share_one_slot() -> None:
    names = [STATS_KEY, APPLIED_PREFIX + "a1b2", APPLIED_PREFIX + "c3d4"]
    assert len({key_slot(name.encode()) for name in names}) == 1


@pytest.mark.parametrize("prefix", [BUDGET_PREFIX, MISSES_PREFIX])
def test_the_windows_of_one_name_share_one_slot(prefix: str) -> None:
    names = [f"{prefix}{{open-meteo}}:{window}" for window in ("closed", "minute", "day")]
    assert len({key_slot(name.encode()) for name in names}) == 1


def test_every_name_carries_version_2() -> None:
    names = [weather_key("x"), lease_key("x"), done_channel("x"), STATS_KEY, BUDGET_PREFIX]
    assert all(name.startswith("skycache:v2:") for name in names)
