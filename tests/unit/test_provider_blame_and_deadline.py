"""GuardedProvider: what the breaker blames, and how long one call may hold the upstream."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import (
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRejectedKey,
    UpstreamUnavailable,
)
from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import (
    BOSTON,
    SERVER_ERROR,
    TIMED_OUT,
    Pauses,
    ScriptedProvider,
    guard,
)

NULL_TEMPERATURE = UnusableAnswer("forecast upstream sent an unusable body: null temperature")
NOT_JSON = UpstreamBadResponse("geocoding upstream sent a 200 that is not an answer")
TOO_LARGE = UpstreamBadResponse("forecast upstream sent a body over 1048576 bytes")


@pytest.mark.parametrize("answer", [NULL_TEMPERATURE, NOT_JSON, TOO_LARGE], ids=str)
async def test_answers_we_cannot_use_never_move_the_breaker(
    clock: FakeClock, answer: UpstreamUnavailable
) -> None:
    inner = ScriptedProvider(then=answer)
    provider = guard(inner, clock)  # opens after three failures

    for _ in range(10):
        with pytest.raises(UpstreamBadResponse):
            await provider.current(BOSTON)

    assert provider.state == "closed" and provider.healthy()
    assert provider.breaker.consecutive_failures == 0
    assert inner.calls == 10  # and none was retried


async def test_an_unusable_answer_neither_resets_nor_adds_to_a_run_of_failures(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider([SERVER_ERROR, NULL_TEMPERATURE, SERVER_ERROR])
    provider = guard(inner, clock, retries=0)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await provider.current(BOSTON)
    assert provider.breaker.consecutive_failures == 2


async def test_a_rejected_key_still_counts_against_the_breaker(clock: FakeClock) -> None:
    provider = guard(ScriptedProvider(then=UpstreamRejectedKey("401")), clock)
    for _ in range(3):
        with pytest.raises(UpstreamRejectedKey):
            await provider.current(BOSTON)
    assert provider.state == "open"


async def test_a_call_holds_its_slot_no_longer_than_the_call_timeout_so_the_next_one_is_served(
    clock: FakeClock,
) -> None:
    hung = ScriptedProvider()
    hung.gate = asyncio.Event()  # never set: the first call's body never finishes
    provider = guard(hung, clock, concurrency=1, call_timeout_s=0.1, deadline_s=0.3)
    slow = asyncio.create_task(provider.current(BOSTON))
    await asyncio.sleep(0.02)
    hung.gate = None  # calls from now on answer at once
    weather = await provider.current(BOSTON)  # waits for the slot, then is served

    assert weather.city == "Boston"
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        await slow


async def test_a_retry_starts_only_if_a_whole_call_still_fits_in_the_deadline(
    clock: FakeClock, pauses: Pauses
) -> None:
    inner = ScriptedProvider([TIMED_OUT, None])
    provider = guard(inner, clock, pauses, call_timeout_s=0.1, deadline_s=0.15)
    with pytest.raises(UpstreamUnavailable):
        await provider.current(BOSTON)
    assert inner.calls == 1 and pauses.taken == []

    roomy = ScriptedProvider([TIMED_OUT, None])
    await guard(roomy, clock, pauses, call_timeout_s=0.1, deadline_s=1.0).current(BOSTON)
    assert roomy.calls == 2


async def test_a_timeout_cut_short_by_the_callers_deadline_does_not_blame_the_provider(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider()
    inner.gate = asyncio.Event()
    provider = guard(inner, clock, concurrency=1, call_timeout_s=0.2, deadline_s=0.3)
    first = asyncio.create_task(provider.current(BOSTON))  # holds the slot its 0.2 s
    await asyncio.sleep(0.01)
    second = asyncio.create_task(provider.current(BOSTON))  # left with ~0.1 s to call
    results = await asyncio.gather(first, second, return_exceptions=True)

    assert all(isinstance(r, UpstreamUnavailable) for r in results)
    assert provider.breaker.consecutive_failures == 1  # the first, a full-length timeout
