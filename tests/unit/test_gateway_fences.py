"""Newer never replaced by older, for the gateway: each part carries its fetch's fence, and
a fetch that finishes last with an older one leaves the newer part where it is (store, last
good copy, the answer), location by location."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from domain.use_cases.gateway_fetch import FreshUntil
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


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@dataclass
class World:
    """Processes over one store, one lock and one upstream, on one fake clock."""

    clock: FakeClock = field(default_factory=lambda: FakeClock(now=START))
    upstream: RunUpstream = field(default_factory=RunUpstream)

    def __post_init__(self) -> None:
        self.store = LosingStore(clock=self.clock)
        self.lock = FencedLock(clock=self.clock)

    def process(self, fresh_until: FreshUntil | None = None) -> ServeGateway:
        return gateway_over(
            self.store, self.lock, self.upstream, self.clock, fresh_until=fresh_until
        )

    async def overlap(
        self,
        one: ServeGateway,
        two: ServeGateway,
        *points: tuple[float, float],
        then: dict[str, int] | None = None,
    ) -> tuple[GatewayAnswer, GatewayAnswer]:
        """`one`'s fetch is sent, then held while its leases lapse (its keep-alive cannot
        act); the upstream moves to a new run, `two` fetches it (its leases fenced `then`);
        `one` resumes and writes last. Their answers: (one's, two's)."""
        self.upstream.pausing = True
        late = asyncio.create_task(one(request(*points)))
        await settle()
        assert self.upstream.paused, "the first fetch never reached the upstream"
        self.upstream.pausing = False
        self.clock.advance(3 * LEASE_S)
        self.upstream.run = 2
        if then is not None:
            self.lock.fences = then
        newer = await two(request(*points))
        self.upstream.paused[0].set()
        return await late, newer

    async def stored(self, *points: tuple[float, float]) -> list[StoredPart | None]:
        return await self.store.get_many([key_of(point) for point in points])


@pytest.fixture
def world() -> World:
    return World()


async def test_a_fetch_paused_past_its_lease_does_not_replace_the_newer_part(world: World) -> None:
    one = world.process()
    older, newer = await world.overlap(one, world.process(), BERLIN)
    berlin = Point(*BERLIN)
    assert len(world.upstream.calls) == 2
    assert newer.body == f"[{run_body(berlin, 2).decode()}]".encode()
    (stored,) = await world.stored(BERLIN)
    assert stored is not None and stored.body == run_body(berlin, 2)
    assert stored.fence == round((START + 3 * LEASE_S) * 1000)  # no shared clock: the start
    assert world.store.last_good(key_of(BERLIN)) == stored
    # The late request is answered with the part the store kept, not its own older one.
    assert (older.body, older.outcomes) == (newer.body, (CacheOutcome.COALESCED,))
    again = await one(request(BERLIN))
    assert (again.body, again.x_cache) == (newer.body, "HIT")


async def test_a_batch_written_last_keeps_its_newer_parts_and_yields_its_older_ones(
    world: World,
) -> None:
    world.lock.fences = {key_of(BERLIN): 2_000, key_of(PARIS): 1_000}
    then = {key_of(BERLIN): 1_500, key_of(PARIS): 1_500}
    older, _ = await world.overlap(world.process(), world.process(), BERLIN, PARIS, then=then)
    stored = await world.stored(BERLIN, PARIS)
    # Berlin's late part has the higher fence (2000 > 1500): it replaces; Paris' (1000) not.
    assert [part.body if part else None for part in stored] == [
        run_body(Point(*BERLIN), 1),
        run_body(Point(*PARIS), 2),
    ]
    assert [part.fence if part else None for part in stored] == [2_000, 1_500]
    assert older.outcomes == (CacheOutcome.MISS, CacheOutcome.COALESCED)


async def test_each_part_carries_its_own_leases_fence_and_a_lockless_one_its_start(
    world: World,
) -> None:
    world.lock.fences = {key_of(BERLIN): 1_765_000_000_123}
    world.lock.down = {key_of(PARIS)}  # no lease from a shared clock: the call's start, in ms
    await world.process()(request(BERLIN, PARIS))
    stored = await world.stored(BERLIN, PARIS)
    assert [part.fence if part else None for part in stored] == [
        1_765_000_000_123,
        round(START * 1000),
    ]


async def test_a_waiter_that_takes_a_location_over_fences_with_its_own_lease(
    world: World,
) -> None:
    holder = await world.lock.acquire(key_of(BERLIN), LEASE_S)
    assert not isinstance(holder, Held)
    waiting = asyncio.create_task(world.process()(request(BERLIN)))
    await settle()
    world.lock.fences = {key_of(BERLIN): 4_242}
    await holder.release(Signal.TIMEOUT)  # gave it up unfetched: the waiter takes over
    await waiting
    (stored,) = await world.stored(BERLIN)
    assert stored is not None and stored.fence == 4_242


async def test_the_fence_decides_not_the_model_runs_freshness(world: World) -> None:
    """The older fetch read a later next run (or fell back to a long TTL): it would stay
    fresh longer, and is refused all the same; the newer fetch's run decides."""
    ends = iter([START + 7_200.0, START + 1_800.0])

    async def follows(query: GatewayRequest, now: float) -> float | None:
        return next(ends)

    await world.overlap(world.process(follows), world.process(follows), BERLIN)
    (stored,) = await world.stored(BERLIN)
    assert stored is not None
    assert (stored.body, stored.fresh_until) == (run_body(Point(*BERLIN), 2), START + 1_800.0)


async def test_the_last_good_copy_written_back_carries_its_fetchs_fence(world: World) -> None:
    serve, other = world.process(), world.process()
    world.lock.fences = {key_of(BERLIN): 1_000}
    await serve(request(BERLIN))
    world.store.lose(key_of(BERLIN))
    world.upstream.failing = True
    world.lock.fences = {key_of(BERLIN): 2_000}  # the failed fetch's lease: newer, but no part
    stale = await serve(request(BERLIN))
    assert stale.x_cache == "STALE"
    (restored,) = await world.stored(BERLIN)
    assert restored is not None and restored.fence == 1_000  # the copy's own fetch's
    calls = len(world.upstream.calls)
    assert (await other(request(BERLIN))).body == stale.body  # from the store, no call
    assert len(world.upstream.calls) == calls


async def test_a_newer_part_stored_while_a_fetch_failed_is_kept_over_the_last_good_copy(
    world: World,
) -> None:
    serve = world.process()
    world.lock.fences = {key_of(BERLIN): 1_000}
    await serve(request(BERLIN))
    world.store.lose(key_of(BERLIN))
    world.upstream.pausing = True
    failing = asyncio.create_task(serve(request(BERLIN)))
    await settle()
    newer = StoredPart(
        body=b'{"newer":true}',
        fetched_at=START,
        fresh_until=START + 900,
        stale_until=START + 86_400,
        fence=1_001,
    )
    world.store.plant(key_of(BERLIN), newer)  # another process's fetch, meanwhile
    world.upstream.failing = True
    world.upstream.paused[0].set()
    answer = await failing
    assert (answer.body, answer.outcomes) == (b'[{"newer":true}]', (CacheOutcome.COALESCED,))
    assert await world.stored(BERLIN) == [newer]


async def test_a_background_refresh_fences_with_its_own_lease(world: World) -> None:
    serve = world.process()
    world.lock.fences = {key_of(BERLIN): 1_000}
    await serve(request(BERLIN))
    world.clock.advance(901)  # past its fresh end: stale, refreshed in the background
    world.lock.fences = {key_of(BERLIN): 3_000}
    assert (await serve(request(BERLIN))).x_cache == "STALE"
    await serve.drain()
    (stored,) = await world.stored(BERLIN)
    assert stored is not None and stored.fence == 3_000
