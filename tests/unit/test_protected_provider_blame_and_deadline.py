"""ProtectedProvider: what the breaker blames, and how long one call may hold the upstream."""

from __future__ import annotations

import asyncio

import pytest

from domain.model.admission import UpstreamCall
from domain.model.errors import (
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRejectedKey,
    UpstreamTimedOut,
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
            await provider.current(BOSTON, UpstreamCall())

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
            await provider.current(BOSTON, UpstreamCall())
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
            await provider.current(BOSTON, UpstreamCall())
    assert provider.state == "open"


async def test_a_call_holds_its_slot_no_longer_than_the_call_timeout_so_the_next_one_is_served(
    clock: FakeClock,
) -> None:
    hung = ScriptedProvider()
    hung.gate = asyncio.Event()  # never set: the first call's body never finishes
    provider = protected(
        hung, clock, concurrency=1, call_timeout_s=0.1, queue_timeout_s=0.11, deadline_s=0.21
    )
    slow = asyncio.create_task(provider.current(BOSTON, UpstreamCall()))
    await asyncio.sleep(0.01)  # the slow call takes the slot first
    hung.gate = None  # calls from now on answer at once
    weather = await provider.current(
        BOSTON, UpstreamCall()
    )  # waits out the slow call, then is served

    assert weather.city == "Boston"
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        await slow


async def test_an_http_timeout_counts_once_against_the_breaker_and_is_not_retried(
    clock: FakeClock, pauses: Pauses
) -> None:
    # The upstream is slow, not flaky: asking again would double its load and the wait.
    inner = ScriptedProvider([TIMED_OUT, None])
    provider = protected(inner, clock, pauses)
    with pytest.raises(UpstreamTimedOut):
        await provider.current(BOSTON, UpstreamCall())
    assert inner.calls == 1 and pauses.taken == []
    assert provider.breaker.consecutive_failures == 1


async def test_a_retry_is_made_only_if_a_whole_attempt_still_fits_before_the_deadline(
    clock: FakeClock, pauses: Pauses
) -> None:
    # The pause is up to 0.15 s: 0.15 + 0.1 is past a 0.2 s deadline, within a 0.3 s one.
    tight = ScriptedProvider([SERVER_ERROR, None])
    provider = protected(tight, clock, pauses, call_timeout_s=0.1, deadline_s=0.2)
    with pytest.raises(UpstreamUnavailable):
        await provider.current(BOSTON, UpstreamCall())
    assert tight.calls == 1

    roomy = ScriptedProvider([SERVER_ERROR, None])
    await protected(roomy, clock, pauses, call_timeout_s=0.1, deadline_s=0.3).current(
        BOSTON, UpstreamCall()
    )
    assert roomy.calls == 2
