"""The gateway's settings: defaults, bad values refused by name, the key kept secret, and
the policy and upstream URLs the wiring builds from them."""

from __future__ import annotations

import pytest

from domain.model.gateway import Api
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.gateway import policy
from entrypoints.wiring.upstream import budget_limits


def test_the_defaults_are_open_meteos_hosts_and_the_documented_ttls() -> None:
    settings = Settings.from_env({})
    options = settings.provider_options
    assert options["OPEN_METEO_AIR_QUALITY_URL"] == "https://air-quality-api.open-meteo.com"
    assert options["OPEN_METEO_ARCHIVE_URL"] == "https://archive-api.open-meteo.com"
    assert (settings.forecast_ttl_s, settings.archive_ttl_s) == (900, 7 * 86_400)
    assert options["OPEN_METEO_API_KEY"] == ""
    assert settings.forecast_freshness == "ttl"
    assert (settings.model_run_margin_s, settings.model_run_refresh_s) == (900, 60)


@pytest.mark.parametrize(
    ("env", "named", "why"),
    [
        ({"FORECAST_TTL": "0"}, "FORECAST_TTL", "at least 1"),
        ({"FORECAST_TTL": "1"}, None, None),  # just inside
        ({"ARCHIVE_TTL": "soon"}, "ARCHIVE_TTL", "not a number"),
        ({"OPEN_METEO_ARCHIVE_URL": "ftp://x"}, "OPEN_METEO_ARCHIVE_URL", "http/https"),
        ({"OPEN_METEO_AIR_QUALITY_URL": "x"}, "OPEN_METEO_AIR_QUALITY_URL", "http/https"),
        ({"FORECAST_FRESHNESS": "runs"}, "FORECAST_FRESHNESS", "one of ttl, model-runs"),
        ({"FORECAST_FRESHNESS": "Model-Runs"}, None, None),
        ({"MODEL_RUN_MARGIN": "-1"}, "MODEL_RUN_MARGIN", "at least 0"),
        ({"MODEL_RUN_MARGIN": "0"}, None, None),
        ({"MODEL_RUN_REFRESH": "0.5"}, "MODEL_RUN_REFRESH", "at least 1"),
    ],
)
def test_a_bad_gateway_setting_is_refused_with_its_name(
    env: dict[str, str], named: str | None, why: str | None
) -> None:
    if named is None:
        Settings.from_env(env)
        return
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert str(refused.value).startswith(named) and why in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_servers_key_is_a_secret_kept_out_of_repr() -> None:
    settings = Settings.from_env({"OPEN_METEO_API_KEY": "om-key-123"})
    assert "om-key-123" in settings.secrets()
    assert "om-key-123" not in repr(settings)


def test_the_policy_serves_stale_at_least_as_long_as_an_archive_stays_fresh() -> None:
    rules = policy(Settings.from_env({"FORECAST_TTL": "60", "ARCHIVE_TTL": "172800"}))
    assert (rules.forecast_ttl_s, rules.archive_ttl_s) == (60, 172_800)
    assert rules.stale_ttl_s >= rules.archive_ttl_s


def test_the_gateway_is_budgeted_as_open_meteo_whatever_weather_provider_says() -> None:
    limits = budget_limits(Settings.from_env({"WEATHER_PROVIDER": "simulated"}))
    assert limits["open-meteo"] and limits["simulated"] == ()


def test_each_api_has_its_own_path() -> None:
    assert [api.path for api in Api] == ["/v1/forecast", "/v1/air-quality", "/v1/archive"]
