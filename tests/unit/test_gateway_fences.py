"""Newer never replaced by older, for the gateway: each part carries its fetch's fence, and
a fetch that finishes last with an older one leaves the newer part where it is (store, last
good copy, the answer), location by location."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from domain.model.admission import UpstreamCall
from domain.model.errors import CacheUnavailable, UpstreamUnavailable
from domain.model.gateway import GatewayRequest, Point
from domain.model.gateway_answer import GatewayAnswer
from domain.model.gateway_part import StoredPart
from domain.model.outcome import CacheOutcome
from domain.use_cases.gateway import ServeGateway, part_key
from ports.lock import Held, Lease, Signal
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import FakeUpstream, gateway_over, request

BERLIN, PARIS = (52.52, 13.41), (48.86, 2.35)
START = 1_717_243_200.0
LEASE_S = 5.0  # gateway_over's lease


def key_of(point: tuple[float, float]) -> str:
    return part_key(request(point).location_key(Point(*point)))


def run_body(point: Point, run: int) -> bytes:
    return f'{{"latitude":{point.latitude},"run":{run}}}'.encode()


class RunUpstream(FakeUpstream):
    """Answers with the model run current when a call is sent; while `pausing`, each call
    then waits for its own gate, as a holder stopped with its answer in its socket."""

    def __init__(self) -> None:
        super().__init__()
        self.run = 1
        self.pausing = False
        self.paused: list[asyncio.Event] = []

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        run = self.run
        self.calls.append(tuple(points))
        if self.pausing:
            gate = asyncio.Event()
            self.paused.append(gate)
            await gate.wait()
        if self.failing:
            raise UpstreamUnavailable("the fake upstream is down")
        return [run_body(point, run) for point in points]


class FencedLock(MemoryLock):
    """Hands out leases with the fences a test sets per key, as Redis' clock would; keys
    in `down` find the lock backend unreachable."""

    def __init__(self, *, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.fences: dict[str, int] = {}
        self.down: set[str] = set()

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        if key in self.down:
            raise CacheUnavailable("the lock backend is down")
        lease = await super().acquire(key, ttl_s)
        if not isinstance(lease, Held):
            lease.fence = self.fences.get(key)
        return lease


class LosingStore(MemoryPartStore):
    def lose(self, key: str) -> None:
        """As Redis flushed or evicting: the part goes, this process's last good copy stays."""
        self._parts.forget(key)

    def plant(self, key: str, part: StoredPart) -> None:
        """Another process's write: the store holds it, this process's copy never saw it."""
        self._parts.put(key, (self._clock.monotonic() + 60, part))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=START)


@pytest.fixture
def store(clock: FakeClock) -> LosingStore:
    return LosingStore(clock=clock)


@pytest.fixture
def lock(clock: FakeClock) -> FencedLock:
    return FencedLock(clock=clock)


@pytest.fixture
def upstream() -> RunUpstream:
    return RunUpstream()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def paused_past_its_lease(
    serve: ServeGateway, upstream: RunUpstream, clock: FakeClock, *points: tuple[float, float]
) -> asyncio.Task[GatewayAnswer]:
    """A request whose fetch is sent, then held while its leases lapse; the upstream's next
    answers are a new run."""
    upstream.pausing = True
    late: asyncio.Task[GatewayAnswer] = asyncio.create_task(serve(request(*points)))
    await settle()
    assert upstream.paused, "the first fetch never reached the upstream"
    upstream.pausing = False
    clock.advance(3 * LEASE_S)  # its keep-alive cannot act: the leases lapse
    upstream.run = 2
    return late


async def test_a_fetch_paused_past_its_lease_does_not_replace_the_newer_part(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    one, two = (
        gateway_over(store, lock, upstream, clock),
        gateway_over(store, lock, upstream, clock),
    )
    late = await paused_past_its_lease(one, upstream, clock, BERLIN)
    newer = await two(request(BERLIN))
    upstream.paused[0].set()  # the first resumes and writes last
    older = await late
    berlin = Point(*BERLIN)
    assert len(upstream.calls) == 2
    assert newer.body == f"[{run_body(berlin, 2).decode()}]".encode()
    (stored,) = await store.get_many([key_of(BERLIN)])
    assert stored is not None and stored.body == run_body(berlin, 2)
    assert stored.fence == round((START + 3 * LEASE_S) * 1000)  # no shared clock: the start
    assert store.last_good(key_of(BERLIN)) == stored
    # The late request is answered with the part the store kept, not its own older one.
    assert (older.body, older.outcomes) == (
        newer.body,
        (CacheOutcome.COALESCED,),
    )
    again = await one(request(BERLIN))
    assert (again.body, again.x_cache) == (newer.body, "HIT")


async def test_a_batch_written_last_keeps_its_newer_parts_and_yields_its_older_ones(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    one, two = (
        gateway_over(store, lock, upstream, clock),
        gateway_over(store, lock, upstream, clock),
    )
    lock.fences = {key_of(BERLIN): 2_000, key_of(PARIS): 1_000}
    late = await paused_past_its_lease(one, upstream, clock, BERLIN, PARIS)
    lock.fences = {key_of(BERLIN): 1_500, key_of(PARIS): 1_500}
    await two(request(BERLIN, PARIS))
    upstream.paused[0].set()
    answer = await late
    berlin, paris = Point(*BERLIN), Point(*PARIS)
    stored = await store.get_many([key_of(BERLIN), key_of(PARIS)])
    # Berlin's late part has the higher fence (2000 > 1500): it replaces; Paris' (1000) not.
    assert [part.body if part else None for part in stored] == [
        run_body(berlin, 1),
        run_body(paris, 2),
    ]
    assert [part.fence if part else None for part in stored] == [2_000, 1_500]
    assert answer.outcomes == (CacheOutcome.MISS, CacheOutcome.COALESCED)


async def test_each_part_carries_its_own_leases_fence_and_a_lockless_one_its_start(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    lock.fences = {key_of(BERLIN): 1_765_000_000_123}
    lock.down = {key_of(PARIS)}  # no lease from a shared clock: the call's start, in ms
    await serve(request(BERLIN, PARIS))
    stored = await store.get_many([key_of(BERLIN), key_of(PARIS)])
    assert [part.fence if part else None for part in stored] == [
        1_765_000_000_123,
        round(START * 1000),
    ]


async def test_a_waiter_that_takes_a_location_over_fences_with_its_own_lease(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    holder = await lock.acquire(key_of(BERLIN), LEASE_S)
    assert not isinstance(holder, Held)
    waiting = asyncio.create_task(serve(request(BERLIN)))
    await settle()
    lock.fences = {key_of(BERLIN): 4_242}
    await holder.release(Signal.TIMEOUT)  # gave it up unfetched: the waiter takes over
    await waiting
    (stored,) = await store.get_many([key_of(BERLIN)])
    assert stored is not None and stored.fence == 4_242


async def test_the_fence_decides_not_the_model_runs_freshness(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    """The older fetch read a later next run (or fell back to a long TTL): it would stay
    fresh longer, and is refused all the same; the newer fetch's run decides."""
    ends = iter([START + 7_200.0, START + 1_800.0])

    async def follows(query: GatewayRequest, now: float) -> float | None:
        return next(ends)

    one = gateway_over(store, lock, upstream, clock, fresh_until=follows)
    two = gateway_over(store, lock, upstream, clock, fresh_until=follows)
    late = await paused_past_its_lease(one, upstream, clock, BERLIN)
    await two(request(BERLIN))
    upstream.paused[0].set()
    await late
    (stored,) = await store.get_many([key_of(BERLIN)])
    assert stored is not None
    assert (stored.body, stored.fresh_until) == (run_body(Point(*BERLIN), 2), START + 1_800.0)


async def test_the_last_good_copy_written_back_carries_its_fetchs_fence(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    other = gateway_over(store, lock, upstream, clock)
    lock.fences = {key_of(BERLIN): 1_000}
    await serve(request(BERLIN))
    store.lose(key_of(BERLIN))
    upstream.failing = True
    lock.fences = {key_of(BERLIN): 2_000}  # the failed fetch's lease: newer, but no part
    stale = await serve(request(BERLIN))
    assert stale.x_cache == "STALE"
    (restored,) = await store.get_many([key_of(BERLIN)])
    assert restored is not None and restored.fence == 1_000  # the copy's own fetch's
    calls = len(upstream.calls)
    assert (await other(request(BERLIN))).body == stale.body  # from the store, no call
    assert len(upstream.calls) == calls


async def test_a_newer_part_stored_while_a_fetch_failed_is_kept_over_the_last_good_copy(
    store: LosingStore, lock: FencedLock, upstream: RunUpstream, clock: FakeClock
) -> None:
    serve = gateway_over(store, lock, upstream, clock)
    lock.fences = {key_of(BERLIN): 1_000}
    await serve(request(BERLIN))
    store.lose(key_of(BERLIN))
    upstream.pausing = True
    failing = asyncio.create_task(serve(request(BERLIN)))
    await settle()
    newer = StoredPart(
        body=b'{"newer":true}',
        fetched_at=START,
        fresh_until=START + 900,
        stale_until=START + 86_400,
        fence=1_001,
    )
    store.plant(key_of(BERLIN), newer)  # another process's fetch, meanwhile
    upstream.failing = True
    upstream.paused[0].set()
    answer = await failing
    assert (answer.body, answer.outcomes) == (b'[{"newer":true}]', (CacheOutcome.COALESCED,))
    assert await store.get_many([key_of(BERLIN)]) == [newer]
