"""ProtectedProvider: what the breaker blames, and how long one call may hold the upstream."""

from __future__ import annotations

import asyncio

import pytest

from domain.model.errors import (
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRejectedKey,
    UpstreamUnavailable,
    UpstreamUnreadable,
)
from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import (
    BOSTON,
    SERVER_ERROR,
    TIMED_OUT,
    Pauses,
    ScriptedProvider,
    protected,
)

NULL_TEMPERATURE = UnusableAnswer("forecast upstream sent an unusable body: null temperature")
ODD_200 = UpstreamBadResponse("geocoding upstream sent a 200 that is not an answer")
TOO_LARGE = UpstreamBadResponse("forecast upstream sent a body over 1048576 bytes")


@pytest.mark.parametrize("answer", [NULL_TEMPERATURE, ODD_200, TOO_LARGE], ids=str)
async def test_answers_we_cannot_use_never_move_the_breaker(
    clock: FakeClock, answer: UpstreamUnavailable
) -> None:
    inner = ScriptedProvider(then=answer)
    provider = protected(inner, clock)  # opens after three failures

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
    provider = protected(inner, clock, retries=0)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await provider.current(BOSTON)
    assert provider.breaker.consecutive_failures == 2


@pytest.mark.parametrize(
    "answer", [UpstreamRejectedKey("401"), UpstreamUnreadable("a body that is not JSON")], ids=str
)
async def test_a_rejected_key_or_a_body_that_is_not_json_counts_against_the_breaker(
    clock: FakeClock, answer: UpstreamUnavailable
) -> None:
    provider = protected(ScriptedProvider(then=answer), clock)
    for _ in range(3):
        with pytest.raises(type(answer)):
            await provider.current(BOSTON)
    assert provider.state == "open"


async def test_a_call_holds_its_slot_no_longer_than_the_call_timeout_so_the_next_one_is_served(
    clock: FakeClock,
) -> None:
    hung = ScriptedProvider()
    hung.gate = asyncio.Event()  # never set: the first call's body never finishes
    provider = protected(
        hung, clock, concurrency=1, call_timeout_s=0.1, queue_timeout_s=0.11, retry_within_s=0.1
    )
    slow = asyncio.create_task(provider.current(BOSTON))
    await asyncio.sleep(0.01)  # the slow call takes the slot first
    hung.gate = None  # calls from now on answer at once
    weather = await provider.current(BOSTON)  # waits out the slow call, then is served

    assert weather.city == "Boston"
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        await slow


async def test_a_call_that_timed_out_is_not_retried_a_quick_failure_is(
    clock: FakeClock, pauses: Pauses
) -> None:
    hung = ScriptedProvider()
    hung.gate = asyncio.Event()
    slow = protected(hung, clock, pauses, call_timeout_s=0.1, retry_within_s=0.2)
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        await slow.current(BOSTON)
    assert hung.calls == 1 and pauses.taken == []  # it used its whole time: no retry

    quick = ScriptedProvider([SERVER_ERROR, None])
    await protected(quick, clock, pauses, call_timeout_s=0.1, retry_within_s=0.2).current(BOSTON)
    assert quick.calls == 2


async def test_a_retry_that_would_start_too_late_is_not_made(
    clock: FakeClock, pauses: Pauses
) -> None:
    inner = ScriptedProvider([TIMED_OUT, None])
    provider = protected(inner, clock, pauses, retry_within_s=0.1)  # the pause is up to 0.15 s
    with pytest.raises(UpstreamUnavailable):
        await provider.current(BOSTON)
    assert inner.calls == 1
