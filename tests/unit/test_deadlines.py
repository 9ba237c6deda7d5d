"""Deadlines: each bound covers the work it waits for, from one set of settings."""

from __future__ import annotations

import pytest

from domain.model.deadlines import Deadlines
from entrypoints.config_report import rows
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.upstream import protection_config


def test_at_the_defaults_every_bound_is_the_one_documented() -> None:
    deadlines = Settings.from_env({}).deadlines

    assert deadlines.attempt_s(2) == pytest.approx(10.5)  # geocoding and forecast, 5 s each
    assert deadlines.queue_s(2) == pytest.approx(11.0)
    assert deadlines.provider_s(2) == pytest.approx(21.5)
    assert deadlines.owner_s == pytest.approx(22.5)
    assert deadlines.lock_wait_s == pytest.approx(6.5)  # a lease, the breaker, the quiet
    assert deadlines.waiter_s == pytest.approx(29.25)


@pytest.mark.parametrize(("timeout_s", "per_request_s"), [(5, 3.0), (10, 7.0), (5, 2.7)])
def test_an_upstream_answering_each_request_in_time_answers_within_every_bound(
    timeout_s: float, per_request_s: float
) -> None:
    """The issue's slow upstreams: each request inside UPSTREAM_TIMEOUT, the two in a row
    inside the attempt, and the owner's whole fetch inside what its waiters allow."""
    deadlines = Settings.from_env({"UPSTREAM_TIMEOUT": str(timeout_s)}).deadlines
    assert per_request_s < deadlines.request_s
    assert 2 * per_request_s < deadlines.attempt_s(2)
    assert 2 * per_request_s < deadlines.owner_s < deadlines.waiter_s


def test_the_protection_takes_its_bounds_from_the_deadlines_per_provider() -> None:
    settings = Settings.from_env(
        {"WEATHER_PROVIDER": "open-meteo,openweathermap", "OPENWEATHER_API_KEY": "k"}
    )
    deadlines = settings.deadlines
    for name, calls in (("open-meteo", 2), ("openweathermap", 1)):
        config = protection_config(settings, name)
        assert config.call_timeout_s == deadlines.attempt_s(calls)
        assert config.queue_timeout_s == deadlines.queue_s(calls)
        assert config.deadline_s == deadlines.provider_s(calls)
    # Failing over, the owner may ask each provider in turn: its allowance is their sum.
    assert deadlines.owner_s == pytest.approx(21.5 + 11.5 + 4 * 0.25)


def test_a_retry_fits_in_a_provider_call_only_after_a_quick_failure() -> None:
    deadlines = Deadlines()
    # A first attempt that failed at once, its slot free: room for a whole second one.
    assert deadlines.attempt_s(2) + 0.15 < deadlines.provider_s(2)
    # One that waited its whole slot wait first: none.
    assert deadlines.queue_s(2) + deadlines.attempt_s(2) >= deadlines.provider_s(2)


def test_a_waiter_outlasts_the_locks_wait_and_a_whole_owner_after_it() -> None:
    deadlines = Deadlines(request_s=2, lease_s=8, redis_s=0.5, breaker_reset_s=3)
    # A dead owner's lease, or the host lock's wait through a Redis outage (a lease and the
    # breaker's cooldown), then the quiet period of a Redis that came back empty.
    assert deadlines.lock_wait_s == pytest.approx(8 + 3 + 0.5)
    assert deadlines.waiter_s == pytest.approx(11.5 + deadlines.owner_s + 0.5)
    assert deadlines.owner_s == pytest.approx(deadlines.provider_s(2) + 4 * 0.5)


def test_unset_the_wait_timeout_is_the_waiters_deadline() -> None:
    settings = Settings.from_env({"UPSTREAM_TIMEOUT": "2", "LOCK_TTL": "1"})
    assert settings.lock_wait_timeout_s is None
    assert settings.wait_timeout_s == settings.deadlines.waiter_s


def test_skycache_config_shows_the_derived_wait_timeout() -> None:
    shown = {row.variable: row.value for row in rows(Settings.from_env({}), {})}
    assert shown["LOCK_WAIT_TIMEOUT"] == "29.25 (derived)"


def test_a_wait_timeout_above_the_waiters_deadline_is_honoured() -> None:
    settings = Settings.from_env({"LOCK_WAIT_TIMEOUT": "60"})
    assert settings.wait_timeout_s == 60


@pytest.mark.parametrize(
    "env",
    [
        {"LOCK_WAIT_TIMEOUT": "10"},  # the old default: shorter than a 5 s upstream's owner
        {"LOCK_WAIT_TIMEOUT": "30", "UPSTREAM_TIMEOUT": "10"},
        {"LOCK_WAIT_TIMEOUT": "29.2"},  # just under the 29.25 s of the defaults
        {"LOCK_WAIT_TIMEOUT": "29.25", "REDIS_BREAKER_RESET": "1.05"},
    ],
)
def test_a_wait_timeout_shorter_than_the_owner_may_take_is_refused_at_start_up(
    env: dict[str, str],
) -> None:
    with pytest.raises(SettingsError, match=r"^LOCK_WAIT_TIMEOUT=[\d.]+ is shorter") as refused:
        Settings.from_env(env)
    assert "\n" not in str(refused.value)


def test_a_wait_timeout_just_at_the_waiters_deadline_is_accepted() -> None:
    assert Settings.from_env({"LOCK_WAIT_TIMEOUT": "29.25"}).wait_timeout_s == 29.25
