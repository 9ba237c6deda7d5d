"""ProtectedProvider: retry rules, concurrency cap and call timeout around a scripted provider."""

from __future__ import annotations

import asyncio

import pytest

from domain.model.admission import UpstreamCall
from domain.model.errors import CityNotFound, UpstreamTimedOut, UpstreamUnavailable
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.upstream import protection_config
from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import (
    BAD_BODY,
    BOSTON,
    CLIENT_ERROR,
    RATE_LIMITED,
    REFUSED,
    SERVER_ERROR,
    TIMED_OUT,
    Pauses,
    ScriptedProvider,
    protected,
)


async def test_a_healthy_upstream_is_called_once_per_request(clock: FakeClock) -> None:
    inner = ScriptedProvider()
    provider = protected(inner, clock)

    weather = await provider.current(BOSTON, UpstreamCall())

    assert weather.city == "Boston"
    assert inner.calls == 1
    assert provider.name == "scripted"
    assert provider.healthy() and provider.state == "closed"


@pytest.mark.parametrize("error", [SERVER_ERROR, REFUSED], ids=str)
async def test_a_transient_failure_is_retried_once_after_a_jittered_pause(
    clock: FakeClock, pauses: Pauses, error: Exception
) -> None:
    inner = ScriptedProvider([error])

    await protected(inner, clock, pauses).current(BOSTON, UpstreamCall())

    assert inner.calls == 2
    assert len(pauses.taken) == 1
    assert 0.05 <= pauses.taken[0] <= 0.15


async def test_a_retry_that_fails_too_raises_its_error_and_stops(clock: FakeClock) -> None:
    inner = ScriptedProvider([SERVER_ERROR, TIMED_OUT, None])

    with pytest.raises(UpstreamUnavailable) as raised:
        await protected(inner, clock).current(BOSTON, UpstreamCall())

    assert raised.value is TIMED_OUT
    assert inner.calls == 2


@pytest.mark.parametrize("error", [BAD_BODY, CLIENT_ERROR, RATE_LIMITED], ids=str)
async def test_bad_responses_4xx_and_429_are_never_retried(
    clock: FakeClock, pauses: Pauses, error: Exception
) -> None:
    inner = ScriptedProvider([error])

    with pytest.raises(type(error)):
        await protected(inner, clock, pauses).current(BOSTON, UpstreamCall())

    assert inner.calls == 1
    assert pauses.taken == []


async def test_with_retries_set_to_zero_a_5xx_is_not_retried(clock: FakeClock) -> None:
    inner = ScriptedProvider([SERVER_ERROR])

    with pytest.raises(UpstreamUnavailable):
        await protected(inner, clock, retries=0).current(BOSTON, UpstreamCall())

    assert inner.calls == 1


async def test_an_unknown_city_is_not_retried_and_counts_as_a_success(clock: FakeClock) -> None:
    inner = ScriptedProvider([SERVER_ERROR, SERVER_ERROR, CityNotFound("x")])
    provider = protected(inner, clock)
    with pytest.raises(UpstreamUnavailable):
        await provider.current(BOSTON, UpstreamCall())

    with pytest.raises(CityNotFound):
        await provider.current(BOSTON, UpstreamCall())

    assert inner.calls == 3
    assert provider.breaker.consecutive_failures == 0


async def test_no_more_calls_than_the_cap_are_in_flight_at_once(clock: FakeClock) -> None:
    inner = ScriptedProvider()
    inner.gate = asyncio.Event()
    provider = protected(inner, clock, concurrency=2)

    calls = [asyncio.create_task(provider.current(BOSTON, UpstreamCall())) for _ in range(6)]
    await asyncio.sleep(0.01)
    assert inner.in_flight == 2
    inner.gate.set()
    await asyncio.gather(*calls)

    assert inner.calls == 6
    assert inner.most_in_flight == 2


async def test_a_caller_kept_waiting_past_the_queue_timeout_hears_upstream_busy(
    clock: FakeClock,
) -> None:
    inner = ScriptedProvider()
    inner.gate = asyncio.Event()
    provider = protected(inner, clock, concurrency=1, queue_timeout_s=0.05)
    holder = asyncio.create_task(provider.current(BOSTON, UpstreamCall()))
    await asyncio.sleep(0)

    with pytest.raises(UpstreamUnavailable, match="upstream busy") as refused:
        await provider.current(BOSTON, UpstreamCall())

    assert refused.value.retry_after_s is not None
    assert inner.calls == 1
    inner.gate.set()
    await holder
    assert provider.breaker.consecutive_failures == 0  # waiting in line is not a failure


async def test_an_attempt_past_its_backstop_is_refused_but_not_blamed_on_the_upstream(
    clock: FakeClock,
) -> None:
    # Each HTTP request has its own timeout, which counts; past them all, the time went to
    # our side, so a call whose requests each answered in time never moves the breaker.
    inner = ScriptedProvider()
    inner.gate = asyncio.Event()  # never set: the attempt never ends
    provider = protected(inner, clock, retries=0, call_timeout_s=0.05)

    with pytest.raises(UpstreamTimedOut, match=r"no answer within 0\.05 s"):
        await provider.current(BOSTON, UpstreamCall())

    assert provider.breaker.consecutive_failures == 0
    assert inner.in_flight == 0


def test_the_guard_is_configured_from_the_environment() -> None:
    env = {"UPSTREAM_CONCURRENCY": "3", "UPSTREAM_RETRIES": "0", "UPSTREAM_TIMEOUT": "2"}
    env |= {"BREAKER_FAILURES": "7", "BREAKER_RESET": "9"}

    config = protection_config(Settings.from_env(env))

    assert (config.concurrency, config.retries) == (3, 0)
    # Geocoding then forecast, 2 s each, and a tenth of one between them; a caller may wait
    # out one such attempt and make its own.
    assert (config.call_timeout_s, config.queue_timeout_s) == pytest.approx((4.2, 4.4))
    assert config.deadline_s == pytest.approx(8.6)
    assert (config.breaker_failures, config.breaker_reset_s) == (7, 9.0)


def test_by_default_one_call_at_a_time_and_one_retry() -> None:
    config = protection_config(Settings.from_env({}))

    assert (config.concurrency, config.retries) == (1, 1)
    assert (config.breaker_failures, config.breaker_reset_s) == (5, 30.0)


@pytest.mark.parametrize("env", [{"UPSTREAM_RETRIES": "2"}, {"UPSTREAM_CONCURRENCY": "0"}])
def test_nonsense_guard_settings_are_refused_at_start_up(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)
