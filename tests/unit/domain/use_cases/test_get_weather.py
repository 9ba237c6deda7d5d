import asyncio

import pytest

from adapters.memory.cache import MemoryCache
from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable, CityNotFound, UpstreamUnavailable, WaitTimedOut
from domain.model.outcome import CacheOutcome, WeatherResult
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from ports.lock import Held, Lease, Signal
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import SAN_JOSE, World


@pytest.fixture
def world() -> World:
    return World()


async def test_a_miss_fetches_once_then_hits(world: World) -> None:
    first = await world.get_weather(SAN_JOSE)
    second = await world.get_weather(SAN_JOSE)
    assert first.outcome is CacheOutcome.MISS
    assert second.outcome is CacheOutcome.HIT
    assert second.weather.temperature == 22.5
    assert world.provider.calls == ["san jose"]
    counts = await world.counts()
    assert counts[CounterName.CACHE_HITS] == 1
    assert counts[CounterName.CACHE_MISSES] == 1
    assert counts[CounterName.API_CALLS] == 1
    assert counts[CounterName.AVOIDED_API_CALLS] == 1


async def test_spellings_of_one_city_share_one_entry(world: World) -> None:
    await world.get_weather(WeatherQuery.parse("San Jose"))
    result = await world.get_weather(WeatherQuery.parse("  SAN   jose "))
    assert result.outcome is CacheOutcome.HIT
    assert len(world.provider.calls) == 1


async def test_concurrent_misses_in_one_process_share_one_fetch(world: World) -> None:
    world.provider.gate = asyncio.Event()
    requests = [asyncio.create_task(world.get_weather(SAN_JOSE)) for _ in range(50)]
    await asyncio.sleep(0.01)
    world.provider.gate.set()
    results = await asyncio.gather(*requests)
    assert world.provider.calls == ["san jose"]
    outcomes = [r.outcome for r in results]
    assert outcomes.count(CacheOutcome.MISS) == 1
    assert outcomes.count(CacheOutcome.COALESCED) == 49
    assert (await world.counts())[CounterName.COALESCED] == 49


async def test_an_expired_entry_is_served_stale_while_one_refresh_runs(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    world.provider.temperatures["san jose"] = 30.0
    world.provider.gate = asyncio.Event()
    stale = [await world.get_weather(SAN_JOSE) for _ in range(5)]
    assert {r.outcome for r in stale} == {CacheOutcome.STALE}
    assert all(r.stale and r.weather.temperature == 22.5 for r in stale)
    assert stale[0].age_s == pytest.approx(301)
    world.provider.gate.set()
    await world.get_weather.drain()
    assert world.provider.calls == ["san jose", "san jose"]
    fresh = await world.get_weather(SAN_JOSE)
    assert fresh.outcome is CacheOutcome.HIT
    assert fresh.weather.temperature == 30.0
    assert (await world.counts())[CounterName.STALE_SERVED] == 5


async def test_a_failed_refresh_keeps_serving_stale_and_backs_off(world: World) -> None:
    await world.get_weather(SAN_JOSE)
    world.clock.advance(301)
    world.provider.failing = UpstreamUnavailable("down")
    for _ in range(20):
        result = await world.get_weather(SAN_JOSE)
        await world.get_weather.drain()
        assert result.outcome is CacheOutcome.STALE
        assert result.weather.temperature == 22.5
    assert len(world.provider.calls) == 2  # the fill, then one refresh: backing off since
    world.clock.advance(5)
    await world.get_weather(SAN_JOSE)
    await world.get_weather.drain()
    assert len(world.provider.calls) == 3
    stored = await world.cache.get("san jose")
    assert stored is not None and stored.failures == 2
    assert stored.fresh_until < world.clock.now()  # never written back as fresh


async def test_an_unknown_city_is_remembered_as_not_found(world: World) -> None:
    nowhere = WeatherQuery.parse("Nowhere")
    for _ in range(10):
        with pytest.raises(CityNotFound):
            await world.get_weather(nowhere)
    assert world.provider.calls == ["nowhere"]
    assert (await world.counts())[CounterName.NEGATIVE_HITS] == 9


async def test_a_negative_entry_expires_after_its_ttl(world: World) -> None:
    nowhere = WeatherQuery.parse("Nowhere")
    with pytest.raises(CityNotFound):
        await world.get_weather(nowhere)
    world.clock.advance(601)
    with pytest.raises(CityNotFound):
        await world.get_weather(nowhere)
    assert world.provider.calls == ["nowhere", "nowhere"]


async def test_an_upstream_failure_without_a_copy_is_upstream_unavailable(world: World) -> None:
    world.provider.failing = UpstreamUnavailable("forecast upstream answered 503")
    with pytest.raises(UpstreamUnavailable, match="503"):
        await world.get_weather(SAN_JOSE)
    assert await world.cache.get("san jose") is None
    assert (await world.counts())[CounterName.UPSTREAM_ERRORS] == 1


class BrokenCache(MemoryCache):
    async def get(self, key: str) -> CacheEntry | None:
        raise CacheUnavailable("down")

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        raise CacheUnavailable("down")


async def test_a_cache_outage_is_a_miss_not_an_error() -> None:
    world = World(cache=BrokenCache(clock=FakeClock()))
    result = await world.get_weather(SAN_JOSE)
    assert result.outcome is CacheOutcome.MISS
    assert result.weather.temperature == 22.5


async def test_a_waiter_gives_up_at_its_deadline_instead_of_fetching(world: World) -> None:
    lease = await world.lock.acquire("san jose", 30)  # another worker's fetch that never lands
    assert not isinstance(lease, Held)
    with pytest.raises(WaitTimedOut):
        await world.get_weather(SAN_JOSE)
    assert world.provider.calls == []


async def waiting_behind_a_holder(world: World) -> tuple[Lease, asyncio.Task[WeatherResult]]:
    """Another worker holds San Jose's lease, and a request waits behind it."""
    lease = await world.lock.acquire("san jose", 30)
    assert not isinstance(lease, Held)
    waiter = asyncio.create_task(world.get_weather(SAN_JOSE))
    await asyncio.sleep(0.01)
    return lease, waiter


async def test_a_waiter_is_woken_by_the_holders_result(world: World) -> None:
    lease, waiter = await waiting_behind_a_holder(world)
    weather = await FakeProvider().current(SAN_JOSE, UpstreamCall())
    entry = CachePolicy().fresh_entry(weather, world.clock.now(), jitter_fraction=0)
    await world.cache.put("san jose", entry, 600)
    await lease.release(Signal.DONE)
    result = await asyncio.wait_for(waiter, 0.5)
    assert result.outcome is CacheOutcome.COALESCED
    assert world.provider.calls == []


async def test_a_failed_holder_fails_its_waiters_fast(world: World) -> None:
    lease, waiter = await waiting_behind_a_holder(world)
    await lease.release(Signal.FAILED)
    with pytest.raises(UpstreamUnavailable):
        await asyncio.wait_for(waiter, 0.5)
    assert world.provider.calls == []


async def test_a_lapsed_lease_is_taken_over_by_one_waiter(world: World) -> None:
    await world.lock.acquire("san jose", 0.2)  # its holder died: nobody will release it
    asking = asyncio.gather(*(world.get_weather(SAN_JOSE) for _ in range(10)))
    await asyncio.sleep(0.01)  # every waiter finds the lease held
    world.clock.advance(0.2)  # and lapsed when it looks again
    results = await asking
    assert world.provider.calls == ["san jose"]
    assert all(r.weather.temperature == 22.5 for r in results)
