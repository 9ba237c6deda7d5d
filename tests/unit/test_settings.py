"""Settings: defaults, and one clear message per bad variable."""

from __future__ import annotations

import pytest

from entrypoints.settings import (
    Settings,
    SettingsError,
    documented_variables,
    own_fields,
    provider_variables,
)
from entrypoints.wiring.storage import redis_topology


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.weather_ttl_s == 300
    assert settings.cache_backend == "auto"
    assert settings.log_level == "info"
    assert settings.log_requests is True


def test_every_setting_is_read_from_exactly_one_variable() -> None:
    names = documented_variables()
    assert len(names) == len(own_fields()) + len(provider_variables())
    assert len(set(names)) == len(names)
    assert all(name == name.upper() for name in names)


def test_blank_values_mean_the_default() -> None:
    assert Settings.from_env({"WEATHER_TTL": "  ", "LOG_LEVEL": ""}) == Settings()


@pytest.mark.parametrize(
    ("env", "named", "why"),
    [
        ({"WEATHER_TTL": "-5"}, "WEATHER_TTL", "at least 1"),
        ({"WEATHER_TTL": "soon"}, "WEATHER_TTL", "not a number"),
        ({"WEATHER_TTL": "nan"}, "WEATHER_TTL", "at least 1"),
        ({"NEGATIVE_TTL": "0"}, "NEGATIVE_TTL", "at least 1"),
        ({"REDIS_POOL_MAX": "2.5"}, "REDIS_POOL_MAX", "whole number"),
        ({"REDIS_POOL_IDLE": "-1"}, "REDIS_POOL_IDLE", "at least 0"),
        ({"REDIS_POOL_IDLE": "soon"}, "REDIS_POOL_IDLE", "not a number"),
        ({"REDIS_POOL_IDLE": "inf"}, "REDIS_POOL_IDLE", "finite"),
        ({"REDIS_POOL_IDLE": "0.09"}, "REDIS_POOL_IDLE", "0 (never) or at least 0.1"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL", "redis/rediss URL"),
        ({"REDIS_URL": "redis://"}, "REDIS_URL", "with a host"),
        ({"REDIS_SENTINELS": "s1:26379,s2"}, "REDIS_SENTINELS", "'s2' is not host:port"),
        ({"REDIS_SENTINELS": ":26379"}, "REDIS_SENTINELS", "is not host:port"),
        ({"REDIS_SENTINELS": "s1:70000"}, "REDIS_SENTINELS", "is not host:port"),
        ({"OPEN_METEO_FORECAST_URL": "ftp://x"}, "OPEN_METEO_FORECAST_URL", "http/https"),
        ({"SKYCACHE_CACHE": "disk"}, "SKYCACHE_CACHE", "auto, redis, memory"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL", "one of"),
        ({"LOG_REQUESTS": "maybe"}, "LOG_REQUESTS", "one of"),
        ({"LOCAL_COPY_SHARED": "sometimes"}, "LOCAL_COPY_SHARED", "one of"),
        ({"SIMULATED_FAILURE_RATE": "2"}, "SIMULATED_FAILURE_RATE", "between 0 and 1"),
    ],
)
def test_a_bad_value_is_refused_with_its_name_and_the_reason(
    env: dict[str, str], named: str, why: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    message = str(refused.value)
    assert message.startswith(named)
    assert why in message
    assert "\n" not in message


def test_sentinels_are_read_as_addresses_with_the_primary_they_watch() -> None:
    settings = Settings.from_env(
        {"REDIS_SENTINELS": "s1:26379, [::1]:26380", "REDIS_SENTINEL_MASTER": "weather"}
    )
    assert settings.redis_sentinels == (("s1", 26379), ("::1", 26380))
    topology = redis_topology(settings)
    assert (topology.mode, topology.sentinels, topology.sentinel_master) == (
        "sentinel",
        (("s1", 26379), ("::1", 26380)),
        "weather",
    )
    assert topology.url == settings.redis_url  # still the user, password, db and TLS


def test_without_sentinels_redis_is_one_node_and_the_master_name_defaults() -> None:
    settings = Settings.from_env({})
    assert redis_topology(settings).mode == "single"
    assert settings.redis_sentinel_master == "mymaster"


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", False), ("off", False), ("No", False), ("1", True), ("on", True)]
)
def test_log_requests_reads_the_usual_spellings_of_a_flag(raw: str, expected: bool) -> None:
    assert Settings.from_env({"LOG_REQUESTS": raw}).log_requests is expected


def test_a_valid_environment_is_read_into_typed_values() -> None:
    settings = Settings.from_env(
        {
            "WEATHER_TTL": "60",
            "REDIS_POOL_MAX": "10",
            "REDIS_URL": "rediss://user:pw@cache.example:6380/2/",
            "LOG_LEVEL": "WARNING",
        }
    )
    assert settings.weather_ttl_s == 60.0
    assert settings.redis_pool_max == 10
    assert settings.redis_url == "rediss://user:pw@cache.example:6380/2"
    assert settings.log_level == "warning"


@pytest.mark.parametrize(("raw", "idle_s"), [("", 30.0), ("0", 0.0), ("0.1", 0.1), ("600", 600.0)])
def test_idle_redis_connections_close_after_30_s_or_never_with_0(raw: str, idle_s: float) -> None:
    assert Settings.from_env({"REDIS_POOL_IDLE": raw}).redis_pool_idle_s == idle_s
