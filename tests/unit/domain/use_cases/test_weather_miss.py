"""WeatherMiss: one fetch cluster-wide, paid at the priority of a name never seen."""

from __future__ import annotations

import asyncio

from domain.model.admission import Priority
from domain.model.outcome import CacheOutcome
from tests.unit.use_case import SAN_JOSE, World


async def test_a_miss_is_fetched_once_for_every_reader_at_the_lowest_priority() -> None:
    world = World()
    world.provider.gate = asyncio.Event()
    readers = [asyncio.create_task(world.get_weather(SAN_JOSE)) for _ in range(3)]
    await asyncio.sleep(0.01)
    world.provider.gate.set()

    outcomes = sorted(r.outcome.value for r in await asyncio.gather(*readers))

    assert world.provider.admitted == [Priority.UNKNOWN]  # no geocoder here to raise it
    assert outcomes == sorted([CacheOutcome.MISS.value] + [CacheOutcome.COALESCED.value] * 2)
