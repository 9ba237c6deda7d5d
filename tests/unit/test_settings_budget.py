"""The budget's settings: free tiers by default, 0 only when the operator says so."""

from __future__ import annotations

import pytest

from domain.model.admission import BudgetLimit
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.upstream import budget_limits, miss_limit

DAY, MONTH = 86_400.0, 31 * 86_400.0


# The free tiers the providers publish.
OPEN_METEO_FREE = (
    BudgetLimit(600, 60.0, "minute"),
    BudgetLimit(5_000, 3_600.0, "hour"),
    BudgetLimit(10_000, DAY, "day"),
)
OPENWEATHERMAP_FREE = (BudgetLimit(60, 60.0, "minute"), BudgetLimit(1_000_000, MONTH, "month"))


def test_by_default_each_provider_gets_its_published_free_tier() -> None:
    env = {"WEATHER_PROVIDER": "open-meteo,openweathermap,simulated", "OPENWEATHER_API_KEY": "k"}

    assert budget_limits(Settings.from_env(env)) == {
        "open-meteo": OPEN_METEO_FREE,
        "openweathermap": OPENWEATHERMAP_FREE,
        "simulated": (),
    }


def test_a_window_set_replaces_the_tier_and_zero_makes_it_unlimited() -> None:
    env = {"UPSTREAM_MAX_PER_MINUTE": "10", "UPSTREAM_MAX_PER_DAY": "0"}
    _, hour, _ = OPEN_METEO_FREE

    assert budget_limits(Settings.from_env(env)) == {
        "open-meteo": (BudgetLimit(10, 60.0, "minute"), hour)
    }


@pytest.mark.parametrize(
    "env",
    [
        {"UPSTREAM_MAX_PER_MINUTE": "-1"},
        {"UPSTREAM_MAX_PER_HOUR": "lots"},
        {"UPSTREAM_MISSES_PER_CLIENT": "60"},
        {"UPSTREAM_MISSES_PER_CLIENT": "60/fortnight"},
        {"UPSTREAM_BUDGET_SHARES": "-2"},
    ],
)
def test_nonsense_budget_settings_are_refused_at_start_up(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, BudgetLimit(60, 60.0, "minute")),
        ({"UPSTREAM_MISSES_PER_CLIENT": "10/second"}, BudgetLimit(10, 1.0, "second")),
        ({"UPSTREAM_MISSES_PER_CLIENT": "0"}, None),
        ({"WEATHER_PROVIDER": "simulated"}, None),  # no quota to protect
        (
            {"WEATHER_PROVIDER": "simulated", "UPSTREAM_MISSES_PER_CLIENT": "5/minute"},
            BudgetLimit(5, 60.0, "minute"),
        ),
    ],
)
def test_each_client_may_miss_sixty_times_a_minute_unless_told_otherwise(
    env: dict[str, str], expected: BudgetLimit | None
) -> None:
    assert miss_limit(Settings.from_env(env)) == expected
