"""Quota windows: 429 windows from Retry-After or Open-Meteo's reason."""

from __future__ import annotations

import pytest

from adapters.resilience.quota import QuotaWindow, daily_limit_ends, window_s
from domain.model.admission import PROBE_EVERY_S
from domain.model.errors import UpstreamRateLimited
from tests.unit.fakes import FakeClock

MIDNIGHT = 1_700_006_400.0  # 2023-11-15 00:00:00 UTC
PREFIX = "forecast upstream answered 429: "


def limited(reason: str, retry_after_s: float | None = None) -> UpstreamRateLimited:
    return UpstreamRateLimited(PREFIX + reason, retry_after_s=retry_after_s)


@pytest.mark.parametrize(
    ("reason", "retry_after_s", "expected_s"),
    [
        ("", 42.0, 42.0),
        ("Minutely API request limit exceeded. Please try again in one minute.", None, 60.0),
        ("Hourly API request limit exceeded. Please try again in the next hour.", None, 3600.0),
        ("Too many concurrent requests", None, 1.0),
        ("Minutely API request limit exceeded.", 120.0, 120.0),
        ("Minutely API request limit exceeded.", 5.0, 60.0),
        ("something else entirely", None, 60.0),
    ],
)
def test_a_429_window_is_the_longest_of_retry_after_and_the_named_limit(
    reason: str, retry_after_s: float | None, expected_s: float
) -> None:
    assert window_s(limited(reason, retry_after_s), MIDNIGHT) == expected_s


def test_a_daily_limit_ends_at_utc_midnight_but_a_worker_waits_only_until_a_probe() -> None:
    error = limited("Daily API request limit exceeded. Please try again tomorrow.", 86_400.0)

    assert daily_limit_ends(error, MIDNIGHT + 3_600) == MIDNIGHT + 86_400
    assert window_s(error, MIDNIGHT + 3_600) == PROBE_EVERY_S
    assert window_s(error, MIDNIGHT + 86_400 - 30) == pytest.approx(30)
    assert daily_limit_ends(limited("Minutely API request limit exceeded."), MIDNIGHT) is None


def test_after_a_429_calls_are_refused_until_its_window_passes() -> None:
    clock = FakeClock(MIDNIGHT)
    window = QuotaWindow(clock, name="open-meteo")
    window.check()

    window.close_for(limited("Minutely API request limit exceeded.", 60.0))
    clock.advance(15)
    with pytest.raises(UpstreamRateLimited) as refused:
        window.check()
    assert refused.value.retry_after_s == pytest.approx(45)
    assert "Minutely API request limit exceeded" in refused.value.reason

    clock.advance(45)
    window.check()
    assert window.remaining_s() == 0


def test_a_shorter_window_never_cuts_a_longer_one_short() -> None:
    clock = FakeClock(MIDNIGHT)
    window = QuotaWindow(clock, name="open-meteo")

    window.close_for(limited("Hourly API request limit exceeded."))
    window.close_for(limited("Too many concurrent requests"))

    assert window.remaining_s() == pytest.approx(3_600)
