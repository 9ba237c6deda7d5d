"""ServeGateway: per-location hits, one upstream call per batch of misses, cluster-wide."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from domain.model.counters import CounterName
from domain.model.errors import GatewayRefused, TooManyMisses, UpstreamUnavailable
from domain.model.gateway import Api, GatewayRequest, Point
from domain.model.gateway_part import GatewayPolicy
from domain.model.outcome import CacheOutcome
from domain.use_cases.gateway import ServeGateway
from ports.lock import Held, Lease
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import (
    REFUSAL,
    FakeUpstream,
    Misses,
    body_of,
    gateway_over,
    request,
)

BERLIN, PARIS, ROME = (52.52, 13.41), (48.86, 2.35), (41.9, 12.5)
HIT, MISS, STALE = CacheOutcome.HIT, CacheOutcome.MISS, CacheOutcome.STALE


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=1_717_243_200.0)


@pytest.fixture
def store(clock: FakeClock) -> MemoryPartStore:
    return MemoryPartStore(clock=clock)


@pytest.fixture
def lock(clock: FakeClock) -> MemoryLock:
    return MemoryLock(clock=clock)


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


def expected(*points: tuple[float, float]) -> bytes:
    return b"[" + b",".join(body_of(Point(*p)) for p in points) + b"]"


async def test_a_cold_request_is_one_upstream_call_answered_in_its_order(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    answer = await serve(request(ROME, BERLIN, PARIS))
    assert upstream.calls == [(Point(*ROME), Point(*BERLIN), Point(*PARIS))]
    assert answer.body == expected(ROME, BERLIN, PARIS)
    assert answer.outcomes == (MISS, MISS, MISS)
    assert answer.x_cache_locations == "hit=0 miss=3 stale=0"


async def test_warm_locations_are_hits_and_only_the_new_ones_are_fetched(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    await serve(request(BERLIN, PARIS))
    answer = await serve(request(PARIS, ROME, BERLIN, ROME))
    assert upstream.calls[1:] == [(Point(*ROME),)]  # the repeat of ROME is one location
    assert answer.body == expected(PARIS, ROME, BERLIN, ROME)
    assert answer.outcomes == (HIT, MISS, HIT, MISS)
    assert answer.x_cache == "MISS"


async def test_a_repeat_is_a_hit_with_no_upstream_call(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    first = await serve(request(BERLIN))
    again = await serve(request(BERLIN))
    assert len(upstream.calls) == 1
    assert (again.body, again.x_cache) == (first.body, "HIT")


@pytest.fixture
def two_processes(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> tuple[ServeGateway, ServeGateway]:
    """Two processes over one store and lock, the upstream holding its answers until let go."""
    upstream.gate.clear()
    return gateway_over(store, lock, upstream, clock), gateway_over(store, lock, upstream, clock)


async def test_a_stampede_over_two_processes_is_one_upstream_call(
    two_processes: tuple[ServeGateway, ServeGateway], upstream: FakeUpstream
) -> None:
    one, two = two_processes
    asked = [
        asyncio.create_task((one if n % 2 else two)(request(BERLIN, PARIS))) for n in range(100)
    ]
    for _ in range(20):
        await asyncio.sleep(0)
    upstream.gate.set()
    answers = await asyncio.gather(*asked)
    assert len(upstream.calls) == 1
    assert {answer.body for answer in answers} == {expected(BERLIN, PARIS)}


async def test_a_request_fetches_the_locations_it_won_and_waits_for_the_others(
    two_processes: tuple[ServeGateway, ServeGateway], upstream: FakeUpstream
) -> None:
    one, two = two_processes
    first = asyncio.create_task(one(request(BERLIN)))
    for _ in range(5):
        await asyncio.sleep(0)
    second = asyncio.create_task(two(request(BERLIN, PARIS)))
    for _ in range(5):
        await asyncio.sleep(0)
    upstream.gate.set()
    answer = await second
    await first
    assert set(upstream.calls) == {(Point(*BERLIN),), (Point(*PARIS),)}
    assert answer.body == expected(BERLIN, PARIS)
    assert answer.outcomes == (CacheOutcome.COALESCED, MISS)


async def test_more_locations_than_one_call_carries_are_split(
    store: MemoryPartStore, lock: MemoryLock, clock: FakeClock
) -> None:
    upstream = FakeUpstream(max_points=2)
    serve = gateway_over(store, lock, upstream, clock)
    points = [(float(n), float(n)) for n in range(5)]
    answer = await serve(request(*points))
    assert [len(call) for call in upstream.calls] == [2, 2, 1]
    assert answer.body == expected(*points)


async def test_a_stale_location_is_served_while_one_refresh_runs(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    await serve(request(BERLIN, PARIS))
    clock.advance(901)
    answers = [await serve(request(BERLIN, PARIS)) for _ in range(3)]
    assert [a.x_cache for a in answers] == ["STALE"] * 3
    await serve.drain()
    assert upstream.calls[1:] == [(Point(*BERLIN), Point(*PARIS))]  # one refresh, both keys
    assert (await serve(request(BERLIN, PARIS))).outcomes == (HIT, HIT)


async def test_a_failed_refresh_backs_off_and_keeps_serving_stale(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    metrics = MemoryMetrics()
    serve = gateway_over(store, lock, upstream, clock, metrics=metrics)
    await serve(request(BERLIN))
    clock.advance(901)
    upstream.failing = True
    await serve(request(BERLIN))
    await serve.drain()
    assert (await serve(request(BERLIN))).x_cache == "STALE"
    await serve.drain()
    assert len(upstream.calls) == 2  # the refresh that failed, none during its back-off
    assert (await metrics.labelled_totals(CounterName.GATEWAY_ERRORS)) == {"forecast": 1}


@pytest.fixture
async def berlin_expired_and_upstream_down(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> ServeGateway:
    """A gateway that once stored Berlin, past its stale window, with the upstream failing."""
    serve = gateway_over(store, lock, upstream, clock)
    await serve(request(BERLIN))
    clock.advance(86_401)
    upstream.failing = True
    return serve


async def test_an_expired_location_whose_fetch_fails_is_answered_from_the_last_good_copy(
    berlin_expired_and_upstream_down: ServeGateway,
) -> None:
    answer = await berlin_expired_and_upstream_down(request(BERLIN))
    assert (answer.body, answer.x_cache) == (expected(BERLIN), "STALE")


async def test_a_failed_fetch_without_a_last_good_copy_fails_the_request(
    berlin_expired_and_upstream_down: ServeGateway,
) -> None:
    with pytest.raises(UpstreamUnavailable):
        await berlin_expired_and_upstream_down(request(BERLIN, PARIS))


async def test_the_upstreams_refusal_is_remembered_for_the_query_only_briefly(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock, policy=GatewayPolicy(refusal_ttl_s=60))
    upstream.refusing = True
    for remembered in (False, True):
        with pytest.raises(GatewayRefused) as refused:
            await serve(request(BERLIN, PARIS))
        assert (refused.value.body, refused.value.remembered) == (REFUSAL, remembered)
    assert len(upstream.calls) == 1
    clock.advance(61)
    upstream.refusing = False
    assert (await serve(request(BERLIN, PARIS))).body == expected(BERLIN, PARIS)


async def test_each_miss_call_is_paid_by_its_weight_from_the_clients_budget(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    misses = Misses()
    serve = gateway_over(store, lock, upstream, clock, misses=misses)
    await serve(request(BERLIN, PARIS, ROME), "203.0.113.9")
    await serve(request(BERLIN), "203.0.113.9")
    assert misses.taken == [("203.0.113.9", 3.0)]  # one variable, no days: 1 per location


async def test_counters_are_kept_per_api(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    metrics = MemoryMetrics()
    serve = gateway_over(store, lock, upstream, clock, metrics=metrics)
    await serve(request(BERLIN, PARIS))
    await serve(request(BERLIN, api=Api.AIR_QUALITY))
    await serve(request(BERLIN))
    totals = await metrics.totals()
    assert totals[CounterName.GATEWAY_API_CALLS] == 2
    assert (await metrics.labelled_totals(CounterName.GATEWAY_HITS)) == {"forecast": 1}
    assert (await metrics.labelled_totals(CounterName.GATEWAY_MISSES)) == {
        "forecast": 2,
        "air-quality": 1,
    }


async def test_points_that_set_their_own_timezone_are_fetched_apart_from_those_that_do_not(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    tokyo = Point(35.68, 139.69, (("timezone", "Asia/Tokyo"),))
    query = request(BERLIN, PARIS)
    mixed = GatewayRequest(
        query.api, query.format, (Point(*BERLIN), tokyo, Point(*PARIS)), query.params
    )
    answer = await serve(mixed)
    assert upstream.calls == [(Point(*BERLIN), Point(*PARIS)), (tokyo,)]
    assert answer.body == b"[" + b",".join(body_of(p) for p in mixed.points) + b"]"


class CountingLock(MemoryLock):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.acquired: list[str] = []

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        self.acquired.append(key)
        return await super().acquire(key, ttl_s)


async def test_a_burst_in_one_process_asks_the_lock_once_per_location(
    store: MemoryPartStore, upstream: FakeUpstream, clock: FakeClock
) -> None:
    lock = CountingLock(clock)
    serve = gateway_over(store, lock, upstream, clock)
    upstream.gate.clear()
    asked = [asyncio.create_task(serve(request(BERLIN, PARIS))) for _ in range(50)]
    for _ in range(10):
        await asyncio.sleep(0)
    upstream.gate.set()
    answers = await asyncio.gather(*asked)
    assert len(lock.acquired) == 2
    assert len(upstream.calls) == 1
    assert sum(a.outcomes.count(CacheOutcome.COALESCED) for a in answers) == 98


async def test_joiners_of_a_failed_fetch_fail_with_it(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    upstream.gate.clear()
    upstream.failing = True
    asked = [asyncio.create_task(serve(request(BERLIN))) for _ in range(5)]
    for _ in range(10):
        await asyncio.sleep(0)
    upstream.gate.set()
    results = await asyncio.gather(*asked, return_exceptions=True)
    assert all(isinstance(r, UpstreamUnavailable) for r in results)
    assert len(upstream.calls) == 1


class NoMisses(Misses):
    async def take(self, client: str, weight: float = 1.0) -> None:
        raise TooManyMisses("over the budget", retry_after_s=30.0)


async def test_a_client_over_its_miss_budget_is_refused_before_any_upstream_call(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    open_door = gateway_over(store, lock, upstream, clock)
    await open_door(request(BERLIN))
    serve = gateway_over(store, lock, upstream, clock, misses=NoMisses())
    assert (await serve(request(BERLIN), "203.0.113.9")).x_cache == "HIT"  # hits are free
    with pytest.raises(TooManyMisses):
        await serve(request(BERLIN, PARIS), "203.0.113.9")
    assert len(upstream.calls) == 1


class SlowRefusal(Misses):
    """Refuses `refused`, once `gate` is set; pays for everyone else."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused
        self.gate = asyncio.Event()

    async def take(self, client: str, weight: float = 1.0) -> None:
        await self.gate.wait()
        if client == self.refused:
            raise TooManyMisses("over the budget", retry_after_s=30.0)
        self.taken.append((client, weight))


async def test_a_burst_in_one_process_is_paid_once_by_the_client_that_fetches(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    misses = Misses()
    serve = gateway_over(store, lock, upstream, clock, misses=misses)
    await asyncio.gather(*(serve(request(BERLIN), "203.0.113.9") for _ in range(50)))
    assert misses.taken == [("203.0.113.9", 1.0)]


async def test_requests_that_joined_a_fetch_another_clients_budget_refused_fetch_their_own(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    misses = SlowRefusal("198.51.100.1")
    serve = gateway_over(store, lock, upstream, clock, misses=misses)
    greedy = asyncio.create_task(serve(request(BERLIN), "198.51.100.1"))
    await asyncio.sleep(0)
    patient = asyncio.create_task(serve(request(BERLIN), "203.0.113.9"))
    await asyncio.sleep(0)
    misses.gate.set()
    with pytest.raises(TooManyMisses):
        await greedy
    assert (await patient).body == expected(BERLIN)
    assert misses.taken == [("203.0.113.9", 1.0)]
    assert len(upstream.calls) == 1


async def test_a_lease_given_up_over_a_clients_budget_is_taken_over_by_its_waiters(
    store: MemoryPartStore, lock: MemoryLock, upstream: FakeUpstream, clock: FakeClock
) -> None:
    misses = SlowRefusal("198.51.100.1")
    one = gateway_over(store, lock, upstream, clock, misses=misses)
    two = gateway_over(store, lock, upstream, clock)
    greedy = asyncio.create_task(one(request(BERLIN), "198.51.100.1"))
    for _ in range(3):
        await asyncio.sleep(0)
    waiting = asyncio.create_task(two(request(BERLIN), "203.0.113.9"))
    for _ in range(3):
        await asyncio.sleep(0)
    misses.gate.set()
    answer = await waiting
    assert (answer.body, answer.x_cache) == (expected(BERLIN), "MISS")  # it fetched itself
    assert len(upstream.calls) == 1
    # The refused request is answered from the last good copy, which the one store of these
    # two "processes" now holds (apart, it would be a 429, as the test above shows).
    assert (await greedy).x_cache == "STALE"
