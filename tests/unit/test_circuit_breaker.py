"""CircuitBreaker: closed, open, half-open with a single probe, on a fake clock."""

from __future__ import annotations

import pytest

from adapters.resilience.circuit_breaker import BreakerState, CircuitBreaker
from domain.model.errors import UpstreamUnavailable
from tests.unit.fakes import FakeClock

BOOM = UpstreamUnavailable("forecast upstream answered 500")


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(clock, name="open-meteo", failures=3, reset_s=30)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.admit()
        breaker.failed(BOOM)


def test_the_breaker_stays_closed_below_the_failure_threshold(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)

    assert breaker.state is BreakerState.CLOSED
    breaker.check()


def test_consecutive_failures_open_it_and_it_says_how_long_and_why(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(10)

    assert breaker.state is BreakerState.OPEN
    with pytest.raises(UpstreamUnavailable) as refused:
        breaker.admit()
    assert refused.value.retry_after_s == pytest.approx(20)
    assert "circuit open after 3 consecutive failures" in refused.value.reason
    assert "answered 500" in refused.value.reason


def test_a_success_resets_the_count_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.succeeded()
    fail(breaker, 2)

    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 2


def test_after_the_reset_time_it_is_half_open_and_admits_exactly_one_probe(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(30)

    assert breaker.state is BreakerState.HALF_OPEN
    breaker.admit()
    for _ in range(5):
        with pytest.raises(UpstreamUnavailable, match="probe call is in flight"):
            breaker.admit()


def test_a_successful_probe_closes_the_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 3)
    clock.advance(30)
    breaker.admit()
    breaker.succeeded()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    breaker.admit()


def test_a_failed_probe_opens_the_breaker_for_another_reset_period(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(30)
    fail(breaker, 1)

    assert breaker.state is BreakerState.OPEN
    clock.advance(29)
    assert breaker.state is BreakerState.OPEN
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN


def test_a_released_probe_lets_the_next_caller_probe(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(30)
    breaker.admit()
    breaker.release()

    assert breaker.state is BreakerState.HALF_OPEN
    breaker.admit()


def test_a_breaker_needs_a_positive_threshold_and_reset_time(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(clock, name="x", failures=0)
    with pytest.raises(ValueError):
        CircuitBreaker(clock, name="x", reset_s=0)
