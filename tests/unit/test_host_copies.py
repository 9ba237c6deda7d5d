"""HostCopies: what Redis refused to store, kept in files the workers of an instance share."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.host.copies import SWEEP_EVERY_S, HostCopies
from domain.model.errors import CacheUnavailable
from domain.model.weather import Location
from tests.unit.fakes import FakeClock
from tests.unit.test_fallback_cache import BOISE, BOISE_LOCATION, NOW, SwitchableCache


class DownForLocations(SwitchableCache):
    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        self._fail_if_down()
        await super().put_location(key, location, ttl_s)


@pytest.fixture
def shared() -> DownForLocations:
    return DownForLocations()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def worker(shared: DownForLocations, tmp_path: Path, clock: FakeClock) -> HostCopies:
    """One worker's view: each has its own HostCopies on the run's one directory."""
    return HostCopies(shared, shared, tmp_path / "copies", clock=clock)


@pytest.fixture
async def copied(shared: DownForLocations, tmp_path: Path, clock: FakeClock) -> HostCopies:
    """A worker whose write of Boise (TTL 300 s) the shared cache, down, refused."""
    copies = worker(shared, tmp_path, clock)
    shared.down = True
    with pytest.raises(CacheUnavailable):  # the refusal still surfaces to the writer
        await copies.put("boise", BOISE, 300)
    return copies


async def test_while_the_shared_cache_answers_no_copy_is_written(
    shared: DownForLocations, tmp_path: Path, clock: FakeClock
) -> None:
    copies = worker(shared, tmp_path, clock)
    await copies.put("boise", BOISE, 300)
    assert await copies.get("boise") == BOISE
    assert list((tmp_path / "copies").iterdir()) == []


async def test_a_write_the_shared_cache_refused_is_read_by_a_sibling_worker(
    shared: DownForLocations, tmp_path: Path, clock: FakeClock
) -> None:
    shared.down = True
    with pytest.raises(CacheUnavailable):  # the refusal still surfaces to the writer
        await worker(shared, tmp_path, clock).put("boise", BOISE, 300)
    assert await worker(shared, tmp_path, clock).get("boise") == BOISE  # another worker


async def test_a_copy_lives_no_longer_than_its_ttl(copied: HostCopies, clock: FakeClock) -> None:
    clock.advance(301)
    with pytest.raises(CacheUnavailable):
        await copied.get("boise")


async def test_a_delete_removes_the_copy(copied: HostCopies) -> None:
    await copied.delete("boise")
    with pytest.raises(CacheUnavailable):
        await copied.get("boise")


async def test_locations_are_shared_the_same_way(
    shared: DownForLocations, tmp_path: Path, clock: FakeClock
) -> None:
    shared.down = True
    with pytest.raises(CacheUnavailable):
        await worker(shared, tmp_path, clock).put_location("boise", BOISE_LOCATION, 3600)
    assert await worker(shared, tmp_path, clock).get_location("boise") == BOISE_LOCATION


async def test_an_unreadable_copy_is_a_miss(copied: HostCopies, tmp_path: Path) -> None:
    for path in (tmp_path / "copies").iterdir():
        path.write_bytes(b"\x00garbage")
    with pytest.raises(CacheUnavailable):
        await copied.get("boise")


async def test_copies_past_their_ttl_are_swept_away(
    shared: DownForLocations, tmp_path: Path, clock: FakeClock
) -> None:
    copies = worker(shared, tmp_path, clock)
    shared.down = True
    for city in ("boise", "denver", "austin"):
        with pytest.raises(CacheUnavailable):
            await copies.put(city, BOISE, 10)
    clock.advance(SWEEP_EVERY_S + 1)
    with pytest.raises(CacheUnavailable):
        await copies.put("miami", BOISE, 300)
    assert len(list((tmp_path / "copies").iterdir())) == 1
