"""StaleRefresh: a stale entry's refresh is its own fetch, admitted first (REFRESH)."""

from __future__ import annotations

from domain.model.admission import Priority
from domain.model.outcome import CacheOutcome
from tests.unit.use_case import SAN_JOSE, World


async def test_a_stale_read_refreshes_in_the_background_at_the_refresh_priority() -> None:
    world = World()
    await world.get_weather(SAN_JOSE)  # the miss: a name never seen
    world.clock.advance(301)  # just past fresh: stale

    stale = await world.get_weather(SAN_JOSE)
    await world.get_weather.drain()

    assert stale.outcome is CacheOutcome.STALE
    assert world.provider.admitted == [Priority.UNKNOWN, Priority.REFRESH]
    assert (await world.get_weather(SAN_JOSE)).outcome is CacheOutcome.HIT


async def test_a_fresh_read_starts_no_refresh() -> None:
    world = World()
    await world.get_weather(SAN_JOSE)
    world.clock.advance(299)  # just inside fresh

    assert (await world.get_weather(SAN_JOSE)).outcome is CacheOutcome.HIT
    await world.get_weather.drain()
    assert world.provider.admitted == [Priority.UNKNOWN]
