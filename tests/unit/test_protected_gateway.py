"""ProtectedGateway: the gateway's upstream calls under the Protection /weather's providers
use: the concurrency cap, one honest retry, the breaker, with the upstream's 400 an answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from adapters.resilience.protected_gateway import ProtectedGateway
from adapters.resilience.protection import Protection, ProtectionConfig
from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import GatewayRefused, UpstreamUnavailable
from domain.model.gateway import GatewayRequest, Point
from domain.model.gateway_part import GatewayPolicy
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import FakeUpstream, Misses, body_of, gateway_over, request
from tests.unit.scripted_provider import Pauses, PausingClock

BERLIN = (52.52, 13.41)


def protected(
    upstream: FakeUpstream, clock: FakeClock, *, retries: int = 0, queue_timeout_s: float = 11.0
) -> ProtectedGateway:
    rules = ProtectionConfig(retries=retries, breaker_failures=3, queue_timeout_s=queue_timeout_s)
    # The retry's pause ends at once, recorded: the gateway's one sleep is that pause.
    paused = PausingClock(clock, Pauses())
    return ProtectedGateway(upstream, Protection(upstream.name, rules, clock=paused))


class FlakyUpstream(FakeUpstream):
    """Fails its first `failures` calls with a 5xx-like error, then answers."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        self.failing = len(self.calls) < self.failures
        return await super().fetch(query, points, call)


async def test_failed_calls_open_the_breaker_and_then_fail_fast(clock: FakeClock) -> None:
    upstream = FakeUpstream()
    upstream.failing = True
    gateway = protected(upstream, clock)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable, match="fake upstream is down"):
            await gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall())
    for _ in range(10):
        with pytest.raises(UpstreamUnavailable, match="circuit open") as refused:
            await gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall())
    assert len(upstream.calls) == 3
    assert refused.value.attempted is False  # nothing was sent: not an upstream call


async def test_the_upstreams_400_is_an_answer_not_a_failure(clock: FakeClock) -> None:
    upstream = FakeUpstream()
    upstream.refusing = True
    gateway = protected(upstream, clock)
    for _ in range(5):  # more than the breaker's three failures
        with pytest.raises(GatewayRefused):
            await gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall())
    upstream.refusing = False
    assert await gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall()) == [
        body_of(Point(*BERLIN))
    ]
    assert gateway.protection.state == "closed"


async def test_a_transient_failure_is_retried_once(clock: FakeClock) -> None:
    once, twice = FlakyUpstream(failures=1), FlakyUpstream(failures=2)
    answer = await protected(once, clock, retries=1).fetch(
        request(BERLIN), [Point(*BERLIN)], UpstreamCall()
    )
    assert (answer, len(once.calls)) == ([body_of(Point(*BERLIN))], 2)
    with pytest.raises(UpstreamUnavailable):
        await protected(twice, clock, retries=1).fetch(
            request(BERLIN), [Point(*BERLIN)], UpstreamCall()
        )
    assert len(twice.calls) == 2  # one retry, never a second


async def test_one_call_at_a_time_and_a_caller_past_the_queue_wait_is_told_busy(
    clock: FakeClock,
) -> None:
    upstream = FakeUpstream()
    upstream.gate.clear()
    gateway = protected(upstream, clock, queue_timeout_s=0.05)
    first = asyncio.ensure_future(gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall()))
    await asyncio.sleep(0)
    with pytest.raises(UpstreamUnavailable, match="busy") as busy:
        await gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall())
    assert (len(upstream.calls), busy.value.attempted) == (1, False)
    upstream.gate.set()
    assert await first == [body_of(Point(*BERLIN))]


async def test_a_caller_inside_the_queue_wait_gets_the_slot(clock: FakeClock) -> None:
    upstream = FakeUpstream()
    upstream.gate.clear()
    gateway = protected(upstream, clock, queue_timeout_s=5.0)
    first = asyncio.ensure_future(gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall()))
    second = asyncio.ensure_future(gateway.fetch(request(BERLIN), [Point(*BERLIN)], UpstreamCall()))
    await asyncio.sleep(0.01)
    assert len(upstream.calls) == 1  # the second waits for the slot
    upstream.gate.set()
    assert (
        await asyncio.wait_for(asyncio.gather(first, second), 5) == [[body_of(Point(*BERLIN))]] * 2
    )
    assert len(upstream.calls) == 2


async def test_once_the_breaker_opens_expired_locations_are_served_last_good_without_calls(
    clock: FakeClock,
) -> None:
    upstream = FakeUpstream()
    gateway = protected(upstream, clock)
    metrics = MemoryMetrics()
    rules = GatewayPolicy(forecast_ttl_s=10, stale_ttl_s=20, jitter_max_s=0)
    store = MemoryPartStore(clock=clock)
    serve = gateway_over(
        store, MemoryLock(clock=clock), gateway, clock, policy=rules, metrics=metrics
    )
    first = await serve(request(BERLIN))
    upstream.failing = True
    clock.advance(30)  # past fresh and stale: only this process's last good copy is left
    answers = [await serve(request(BERLIN)) for _ in range(10)]
    assert {(a.body, a.x_cache) for a in answers} == {(first.body, "STALE")}
    assert len(upstream.calls) == 1 + 3  # the fetch, then failures until the breaker opened
    assert gateway.protection.state == "open"
    assert (await metrics.totals())[CounterName.GATEWAY_API_CALLS] == 4  # refusals sent nothing


async def test_a_call_the_breaker_turned_away_gives_the_clients_miss_budget_back(
    clock: FakeClock,
) -> None:
    upstream = FakeUpstream()
    upstream.failing = True
    gateway = protected(upstream, clock)
    misses = Misses()
    serve = gateway_over(
        MemoryPartStore(clock=clock), MemoryLock(clock=clock), gateway, clock, misses=misses
    )
    for n in range(5):  # three failures open the breaker, two calls are turned away
        with pytest.raises(UpstreamUnavailable):
            await serve(request((float(n), 0.0)), "client")
    assert len(upstream.calls) == 3
    assert [at for _, at in misses.refunded] == [4.0, 5.0]  # the two that sent nothing
