"""Settings at their edges: every float finite, REDIS_URL's port and database index."""

from __future__ import annotations

import dataclasses

import pytest

from entrypoints.settings import Settings, SettingsError

FLOAT_VARIABLES = [f.metadata["env"] for f in dataclasses.fields(Settings) if f.type == "float"]


def test_there_are_float_settings_to_check() -> None:
    assert {"WEATHER_TTL", "UPSTREAM_TIMEOUT", "REDIS_TIMEOUT"} <= set(FLOAT_VARIABLES)


@pytest.mark.parametrize("variable", FLOAT_VARIABLES)
@pytest.mark.parametrize("raw", ["inf", "Infinity", "1e999", "nan", "-inf"])
def test_no_float_setting_takes_an_infinite_or_undefined_value(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: raw})
    message = str(refused.value)
    assert message.startswith(f"{variable}=") and "\n" not in message


@pytest.mark.parametrize("variable", FLOAT_VARIABLES)
def test_the_largest_finite_float_is_still_a_number(variable: str) -> None:
    try:  # just inside: finite, so refused (if at all) by the setting's own bounds only
        Settings.from_env({variable: "1e308"})
    except SettingsError as refused:
        assert "finite" not in str(refused)


@pytest.mark.parametrize(
    "url",
    [
        "redis://cache.internal:abc/0",
        "redis://cache.internal:65536/0",
        "redis://cache.internal:0/0",
        "redis://:pw-secret-1@cache.internal:-1/0",
    ],
)
def test_a_redis_url_port_that_is_no_port_is_one_line_naming_redis_url(url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"REDIS_URL": url})
    message = str(refused.value)
    assert message.startswith("REDIS_URL=") and "port must be a number from 1 to 65535" in message
    assert "pw-secret-1" not in message


@pytest.mark.parametrize("url", ["redis://h:1/0", "redis://h:65535/15", "redis://h/0", "redis://h"])
def test_ports_1_to_65535_or_none_are_accepted(url: str) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize("url", ["redis://h:6379/one", "redis://h:6379/-1", "redis://h:6379/1.5"])
def test_a_database_index_that_is_not_a_whole_number_is_refused(url: str) -> None:
    with pytest.raises(SettingsError, match=r"REDIS_URL: the database index .* whole number"):
        Settings.from_env({"REDIS_URL": url})
