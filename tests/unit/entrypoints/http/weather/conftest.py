"""Fixtures the near-cache and fast-path tests share: a wall clock they advance, and a
near cache of three answers kept a second each."""

from __future__ import annotations

import pytest

from entrypoints.http.weather.near_cache import NearCache
from tests.unit.entrypoints.http.weather.near_answers import WallClock


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def near(clock: WallClock) -> NearCache:
    return NearCache(ttl_s=1.0, max_items=3, clock=clock)
