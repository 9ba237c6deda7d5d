"""ProtectedProvider: circuit breaker, 429 windows and the shared budget, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from adapters.resilience.protected_provider import ProtectedProvider
from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import UpstreamBudgetSpent, UpstreamRateLimited, UpstreamUnavailable
from domain.model.weather import Weather
from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import (
    BOSTON,
    RATE_LIMITED,
    SERVER_ERROR,
    Pauses,
    ScriptedProvider,
    protected,
)


async def open_the_breaker(provider: ProtectedProvider, inner: ScriptedProvider) -> None:
    """Failed calls until the breaker opens: three failed attempts, the threshold here."""
    inner.script = [SERVER_ERROR] * 3
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await provider.current(BOSTON, UpstreamCall())
        if provider.state == "open":
            return
    pytest.fail("the breaker did not open")


async def test_once_the_breaker_opens_calls_fail_fast_without_reaching_the_upstream(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock, retries=0)
    await open_the_breaker(provider, inner)

    for _ in range(50):
        with pytest.raises(UpstreamUnavailable, match="circuit open") as refused:
            await provider.current(BOSTON, UpstreamCall())

    assert inner.calls == 3
    assert refused.value.retry_after_s == pytest.approx(30)
    assert provider.state == "open"
    assert not provider.healthy()


async def test_failed_attempts_count_so_retries_open_the_breaker_sooner(clock: FakeClock) -> None:
    inner = ScriptedProvider(then=SERVER_ERROR)
    provider = protected(inner, clock)  # 3 failures, 1 retry

    for _ in range(5):
        with pytest.raises(UpstreamUnavailable):
            await provider.current(BOSTON, UpstreamCall())

    assert inner.calls == 3
    assert provider.state == "open"


async def test_when_half_open_exactly_one_of_many_concurrent_callers_probes(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock, retries=0, concurrency=10)
    await open_the_breaker(provider, inner)
    clock.advance(30)
    inner.gate = asyncio.Event()

    callers = [asyncio.create_task(provider.current(BOSTON, UpstreamCall())) for _ in range(10)]
    await asyncio.sleep(0.01)
    assert provider.state == "half-open"
    inner.gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)

    answered = [r for r in results if isinstance(r, Weather)]
    turned_away = [r for r in results if isinstance(r, UpstreamUnavailable)]
    assert (len(answered), len(turned_away)) == (1, 9)
    assert all("probe call is in flight" in str(e) for e in turned_away)
    assert inner.calls == 3 + 1
    assert provider.state == "closed"
    assert provider.healthy()


async def test_a_failed_probe_reopens_the_breaker_and_is_not_retried(
    clock: FakeClock, pauses: Pauses
) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock, pauses)  # one retry
    await open_the_breaker(provider, inner)
    clock.advance(30)
    calls_before, pauses.taken = inner.calls, []
    inner.script = [SERVER_ERROR]

    with pytest.raises(UpstreamUnavailable) as raised:
        await provider.current(BOSTON, UpstreamCall())

    assert raised.value is SERVER_ERROR  # the probe's own error, not "circuit open"
    assert inner.calls == calls_before + 1
    assert pauses.taken == []
    assert provider.state == "open"


async def test_callers_queued_behind_the_call_that_opens_the_breaker_fail_fast(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider([SERVER_ERROR])
    inner.gate = asyncio.Event()
    provider = protected(inner, clock, retries=0, breaker_failures=1)

    callers = [asyncio.create_task(provider.current(BOSTON, UpstreamCall())) for _ in range(5)]
    await asyncio.sleep(0)
    inner.gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)

    assert inner.calls == 1
    assert sum("circuit open" in str(r) for r in results) == 4


async def test_a_cancelled_probe_lets_the_next_caller_probe(clock: FakeClock) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock, retries=0)
    await open_the_breaker(provider, inner)
    clock.advance(30)
    inner.gate = asyncio.Event()
    probe = asyncio.create_task(provider.current(BOSTON, UpstreamCall()))
    await asyncio.sleep(0)

    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    inner.gate.set()

    assert (await provider.current(BOSTON, UpstreamCall())).city == "Boston"
    assert provider.state == "closed"


async def test_after_a_429_no_call_is_made_until_its_window_passes(clock: FakeClock) -> None:
    inner = ScriptedProvider([RATE_LIMITED])
    provider = protected(inner, clock, breaker_failures=1)
    with pytest.raises(UpstreamRateLimited):
        await provider.current(BOSTON, UpstreamCall())

    clock.advance(20)
    for _ in range(10):
        with pytest.raises(UpstreamRateLimited) as refused:
            await provider.current(BOSTON, UpstreamCall())
    assert refused.value.retry_after_s == pytest.approx(40)
    assert inner.calls == 1
    assert not provider.healthy()
    assert provider.state == "closed"  # a 429 is the quota's business, not the breaker's

    clock.advance(40)
    await provider.current(BOSTON, UpstreamCall())
    assert inner.calls == 2
    assert provider.healthy()


async def test_a_call_our_budget_refused_moves_neither_the_breaker_nor_the_429_window(
    clock: FakeClock,
) -> None:
    refused = UpstreamBudgetSpent("open-meteo upstream budget has no room", retry_after_s=7)
    inner = ScriptedProvider([refused] * 5)
    provider = protected(inner, clock, breaker_failures=1)

    for _ in range(5):
        with pytest.raises(UpstreamBudgetSpent):
            await provider.current(BOSTON, UpstreamCall())

    assert inner.calls == 5  # each asked the budget again: no local window was closed
    assert provider.state == "closed"
    assert provider.healthy()
    await provider.current(BOSTON, UpstreamCall())


async def test_a_daily_limit_closes_the_shared_budget_until_midnight_and_the_worker_for_a_while(
    clock: FakeClock,
) -> None:
    budget = RecordingBudget()
    daily = UpstreamRateLimited("forecast upstream answered 429: Daily API request limit exceeded")
    inner = ScriptedProvider([daily])
    provider = protected(inner, clock, budget=budget)

    with pytest.raises(UpstreamRateLimited):
        await provider.current(BOSTON, UpstreamCall())

    midnight = clock.now() - clock.now() % 86_400 + 86_400
    assert budget.closed == [("scripted", midnight)]
    assert provider.quota.remaining_s() == pytest.approx(min(600, midnight - clock.now()))


async def test_without_a_budget_the_guard_never_counts_calls(clock: FakeClock) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock)

    for _ in range(700):
        await provider.current(BOSTON, UpstreamCall())

    assert inner.calls == 700


class RecordingBudget:
    """An UpstreamBudget that admits everything and records closures."""

    def __init__(self) -> None:
        self.closed: list[tuple[str, float]] = []

    async def spend(self, upstream: str, priority: Priority, weight: float = 1.0) -> bool:
        return False

    async def close(self, upstream: str, until: float) -> None:
        self.closed.append((upstream, until))

    async def reopen(self, upstream: str) -> None:
        self.closed = [c for c in self.closed if c[0] != upstream]
