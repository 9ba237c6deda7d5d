"""Shared, else local: the rules every store built on adapters/shared_else_local.py keeps,
checked on the memory side (FallbackCache) and the host files side (HostCopies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.host.copies import HostCopies
from adapters.memory.fallback_cache import FallbackCache
from domain.model.errors import CacheUnavailable
from tests.unit.fakes import FakeClock
from tests.unit.test_fallback_cache import BOISE, NOW
from tests.unit.test_host_copies import DownForLocations


@pytest.fixture
def shared() -> DownForLocations:
    return DownForLocations()


@pytest.fixture(params=["memory", "host files"])
def store(
    request: pytest.FixtureRequest, shared: DownForLocations, tmp_path: Path
) -> FallbackCache | HostCopies:
    if request.param == "memory":
        return FallbackCache(shared, shared, max_items=2, clock=FakeClock(NOW))
    return HostCopies(shared, shared, tmp_path / "copies", clock=FakeClock(NOW))


async def test_a_city_never_seen_is_still_unavailable_while_down(
    shared: DownForLocations, store: FallbackCache | HostCopies
) -> None:
    shared.down = True
    with pytest.raises(CacheUnavailable):
        await store.get("boise")


async def test_writes_while_down_are_kept_locally_and_the_error_still_surfaces(
    shared: DownForLocations, store: FallbackCache | HostCopies
) -> None:
    shared.down = True
    with pytest.raises(CacheUnavailable):
        await store.put("boise", BOISE, 60)
    assert await store.get("boise") == BOISE


async def test_the_shared_cache_wins_while_it_is_up(
    shared: DownForLocations, store: FallbackCache | HostCopies
) -> None:
    await store.put("boise", BOISE, 60)  # written while up, and while down: two local copies
    shared.down = True
    with pytest.raises(CacheUnavailable):
        await store.put("boise", BOISE, 60)
    shared.down = False
    await shared.put("boise", BOISE, 1.0)
    shared.clock.advance(1.0)  # expired in the shared cache
    assert await store.get("boise") is None  # back without it: a miss, whatever is local
