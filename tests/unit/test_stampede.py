"""StampedeGuard and the refreshes it runs: two guards on one MemoryLock are two processes."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.lock import MemoryLock
from domain.model.admission import UpstreamCall
from domain.model.entry import CacheEntry
from domain.model.errors import UpstreamUnavailable
from domain.model.outcome import CacheOutcome
from domain.model.policy import CachePolicy
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from domain.use_cases.get_weather import fence_of
from domain.use_cases.stampede import Role, StampedeGuard
from ports.lock import Held, Lease, Signal
from tests.unit.fakes import FakeClock, FakeProvider
from tests.unit.use_case import get_weather_over

SAN_JOSE = WeatherQuery.parse("San Jose")


class Upstream:
    """A load function that counts its calls and can be held in flight."""

    def __init__(
        self, delay_s: float = 0.0, *, fails: bool = False, clock: FakeClock | None = None
    ) -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.clock = clock
        self.fails = fails
        self.stored: str | None = None

    async def load(self, _fence: int | None = None) -> str:
        self.calls += 1
        if self.clock is not None:
            await self.clock.sleep(self.delay_s)
        else:
            await asyncio.sleep(self.delay_s)
        if self.fails:
            raise UpstreamUnavailable("down")
        self.stored = "value"
        return self.stored

    async def peek(self) -> str | None:
        return self.stored


async def test_the_owner_keeps_its_lease_alive_past_the_lock_ttl() -> None:
    clock = FakeClock()
    lock, upstream = MemoryLock(clock=clock), Upstream(delay_s=0.5, clock=clock)
    owner = StampedeGuard[str](lock, clock=clock, lock_ttl_s=0.1, wait_timeout_s=5)
    other = StampedeGuard[str](lock, clock=clock, lock_ttl_s=0.1, wait_timeout_s=5)
    first = asyncio.create_task(owner.run("k", upstream.load, upstream.peek))
    await asyncio.sleep(0)  # the owner takes the lease and starts its fetch
    waiter = asyncio.create_task(other.run("k", upstream.load, upstream.peek))

    async def advance(seconds: float) -> None:
        for _ in range(round(seconds / 0.01)):  # a keep-alive every third of the lease
            clock.advance(0.01)
            await asyncio.sleep(0)
            await asyncio.sleep(0)

    await advance(0.4)  # four lease lifetimes into the fetch
    assert isinstance(await lock.acquire("k", 5), Held)
    await advance(0.2)
    second = await waiter
    assert await first == ("value", Role.OWNER)
    assert second == ("value", Role.COALESCED)
    assert upstream.calls == 1  # five lease lifetimes, one fetch


async def test_a_waiting_process_makes_no_lock_calls_between_wakeups() -> None:
    clock = FakeClock()
    lock, upstream = CountingLock(clock), Upstream(delay_s=0.3, clock=clock)
    owner = StampedeGuard[str](lock, clock=clock, lock_ttl_s=5, wait_timeout_s=5)
    other = StampedeGuard[str](lock, clock=clock, lock_ttl_s=5, wait_timeout_s=5)
    first = asyncio.create_task(owner.run("k", upstream.load, upstream.peek))
    await asyncio.sleep(0)  # the owner takes the lease and starts its fetch
    waiters = [other.run("k", upstream.load, upstream.peek) for _ in range(50)]
    gathered = asyncio.gather(first, *waiters)
    for _ in range(5):  # the other process acquires, finds it held, and watches
        await asyncio.sleep(0)
    clock.advance(0.3)  # the owner's fetch ends
    results = await gathered
    assert {value for value, _ in results} == {"value"}
    # One acquire for the owner and one for the other process, however many wait there.
    assert lock.acquires == 2


async def test_a_failed_signal_fails_the_waiters_at_once() -> None:
    lock, upstream = MemoryLock(clock=FakeClock()), Upstream()
    lease = await lock.acquire("k", 30)
    assert not isinstance(lease, Held)
    guard = StampedeGuard[str](lock, clock=FakeClock(), lock_ttl_s=30, wait_timeout_s=30)
    waiters = asyncio.gather(*(guard.run("k", upstream.load, upstream.peek) for _ in range(5)))
    await asyncio.sleep(0.01)
    await lease.release(Signal.FAILED)
    with pytest.raises(UpstreamUnavailable):
        await asyncio.wait_for(waiters, 0.5)
    assert upstream.calls == 0


async def test_a_failed_fetch_releases_its_lease_with_a_failed_signal() -> None:
    lock, upstream = MemoryLock(clock=FakeClock()), Upstream(fails=True)
    watch = lock.watch("k")
    guard = StampedeGuard[str](lock, clock=FakeClock(), lock_ttl_s=30, wait_timeout_s=30)
    with pytest.raises(UpstreamUnavailable):
        await guard.run("k", upstream.load, upstream.peek)
    assert await watch.wait(0.1) is Signal.FAILED
    assert not isinstance(await lock.acquire("k", 1), Held)  # and the lease is free


async def test_a_refresh_skips_a_key_another_process_is_refreshing() -> None:
    lock, upstream = MemoryLock(clock=FakeClock()), Upstream()
    await lock.acquire("k", 30)
    await StampedeGuard[str](lock, clock=FakeClock()).refresh("k", upstream.load, upstream.peek)
    assert upstream.calls == 0


class TimedProvider(FakeProvider):
    """Each fetch takes half a second of the fake clock, the delta XFetch scales by."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self._clock = clock

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        self._clock.advance(0.5)
        return await super().current(query, call)


class Service:
    """GetWeather over in-memory adapters, with its policy at hand."""

    def __init__(self, **policy: float) -> None:
        self.clock = FakeClock()
        self.cache = MemoryCache(clock=self.clock)
        self.provider = TimedProvider(self.clock)
        self.policy = CachePolicy(fresh_ttl_s=300, jitter_max_s=0, **policy)
        self.get_weather = get_weather_over(self.cache, self.provider, self.clock, self.policy)

    async def stored(self) -> CacheEntry:
        entry = await self.cache.get(SAN_JOSE.key)
        assert entry is not None
        return entry


async def test_a_refresh_another_worker_failed_meanwhile_is_not_run_again() -> None:
    service = Service()
    await service.get_weather(SAN_JOSE)
    service.clock.advance(301)
    service.provider.failing = UpstreamUnavailable("down")
    seen = await service.stored()
    # This read schedules a refresh; before it starts, another worker's failed one lands.
    await service.get_weather(SAN_JOSE)
    backed_off = service.policy.after_failed_refresh(seen, service.clock.now())
    await service.cache.put(SAN_JOSE.key, backed_off, 600)
    await service.get_weather.drain()
    assert service.provider.calls == ["san jose"]  # the fill only
    assert await service.stored() == backed_off


async def test_a_refresh_another_worker_completed_meanwhile_is_not_run_again() -> None:
    service = Service()
    await service.get_weather(SAN_JOSE)
    service.clock.advance(301)
    await service.get_weather(SAN_JOSE)
    weather = Weather(
        city="San Jose",
        temperature=25.0,
        humidity=50,
        description="Clear sky",
        provider=service.provider.name,
    )
    renewed = service.policy.fresh_entry(weather, service.clock.now(), jitter_fraction=0)
    renewed = replace(renewed, fence=fence_of(service.clock.now()))  # the other's fetch
    await service.cache.put(SAN_JOSE.key, renewed, 600)
    await service.get_weather.drain()
    assert service.provider.calls == ["san jose"]
    assert await service.stored() == renewed


async def test_an_early_xfetch_refresh_does_fetch_for_a_fresh_entry() -> None:
    service = Service(xfetch_beta=1e9)  # every read of a fresh entry wants an early refresh
    await service.get_weather(SAN_JOSE)
    service.clock.advance(10)
    service.provider.temperatures["san jose"] = 30.0
    hit = await service.get_weather(SAN_JOSE)
    await service.get_weather.drain()
    assert (hit.outcome, hit.weather.temperature) == (CacheOutcome.HIT, 22.5)
    assert service.provider.calls == ["san jose", "san jose"]
    stored = (await service.stored()).weather
    assert stored is not None and stored.temperature == 30.0


class CountingLock(MemoryLock):
    def __init__(self, clock: FakeClock | None = None) -> None:
        super().__init__(clock=clock)
        self.acquires = 0

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        self.acquires += 1
        return await super().acquire(key, ttl_s)


async def test_early_xfetch_refreshes_back_off_while_the_upstream_fails() -> None:
    service = Service(xfetch_beta=1e9, backoff_base_s=5)
    await service.get_weather(SAN_JOSE)
    service.provider.failing = UpstreamUnavailable("down")
    for _ in range(10):
        hit = await service.get_weather(SAN_JOSE)
        await service.get_weather.drain()
        assert hit.outcome is CacheOutcome.HIT
    assert len(service.provider.calls) == 2  # the fill, then one early refresh
    service.clock.advance(5)
    await service.get_weather(SAN_JOSE)
    await service.get_weather.drain()
    assert len(service.provider.calls) == 3


async def test_a_refresh_held_elsewhere_is_not_asked_for_again_until_the_lease_lapses() -> None:
    clock = FakeClock()
    lock, upstream = CountingLock(clock), Upstream()
    await lock.acquire("k", 0.2)  # another process is refreshing "k"
    guard = StampedeGuard[str](lock, clock=clock)
    for _ in range(20):
        await guard.refresh("k", upstream.load, upstream.peek)
    assert (lock.acquires, upstream.calls) == (2, 0)
    assert guard.busy("k")
    clock.advance(0.25)  # its lease lapsed unrenewed: the holder is gone
    await asyncio.sleep(0)  # the guard's timer wakes and forgets it
    await guard.refresh("k", upstream.load, upstream.peek)
    assert (lock.acquires, upstream.calls) == (3, 1)


class _FencedLock(MemoryLock):
    """A MemoryLock whose leases carry a fence, as the Redis lock's carry Redis' clock."""

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        attempt = await super().acquire(key, ttl_s)
        if not isinstance(attempt, Held):
            attempt.fence = 1_700_000_000_123
        return attempt


async def test_the_guard_hands_its_leases_fence_to_the_load_and_none_without_a_lease() -> None:
    fences: list[int | None] = []

    async def load(fence: int | None) -> str:
        fences.append(fence)
        return "value"

    async def nothing() -> str | None:
        return None

    guard = StampedeGuard[str](_FencedLock(clock=FakeClock()), clock=FakeClock())
    await guard.run("k", load, nothing)
    await guard.refresh("k", load, nothing)
    assert fences == [1_700_000_000_123, 1_700_000_000_123]
    # A lock that grants no fence (the host lock's, memory's): the load is told so.
    await StampedeGuard[str](MemoryLock(clock=FakeClock()), clock=FakeClock()).run(
        "k", load, nothing
    )
    assert fences[-1] is None
