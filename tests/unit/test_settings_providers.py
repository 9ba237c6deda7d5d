"""WEATHER_PROVIDER: one provider or a failover list, validated once; what the container builds."""

from __future__ import annotations

import httpx
import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.metrics import MemoryMetrics
from adapters.resilience.counted_provider import CountedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.resilience.protected_provider import ProtectedProvider
from adapters.system_clock import SystemClock
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.upstream import upstreams
from ports.provider import WeatherProvider


def test_open_meteo_is_the_default_provider() -> None:
    assert Settings.from_env({}).providers == ("open-meteo",)


def test_a_comma_list_keeps_its_order_whatever_the_spacing_and_case() -> None:
    env = {"WEATHER_PROVIDER": " OpenWeatherMap , open-meteo", "OPENWEATHER_API_KEY": "k"}
    settings = Settings.from_env(env)
    assert settings.providers == ("openweathermap", "open-meteo")
    assert settings.weather_provider == "openweathermap,open-meteo"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("metno", "WEATHER_PROVIDER='metno': 'metno' is not a provider; use one or a comma "
                  "list of open-meteo, openweathermap, simulated"),
        ("open-meteo,", "'' is not a provider"),
        ("simulated,simulated", "WEATHER_PROVIDER='simulated,simulated' names a provider twice"),
    ],
)  # fmt: skip
def test_a_bad_provider_list_stops_start_up_with_one_line(value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"WEATHER_PROVIDER": value})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_openweathermap_without_an_api_key_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="set OPENWEATHER_API_KEY"):
        Settings.from_env({"WEATHER_PROVIDER": "open-meteo,openweathermap"})


def test_the_api_key_never_shows_in_the_settings_repr() -> None:
    env = {"WEATHER_PROVIDER": "openweathermap", "OPENWEATHER_API_KEY": "s3cr3t-key"}
    settings = Settings.from_env(env)
    assert settings.provider_options["OPENWEATHER_API_KEY"] == "s3cr3t-key"
    assert "s3cr3t-key" not in repr(settings)


def test_openweathermap_url_has_a_default_and_must_be_http() -> None:
    default = Settings.from_env({}).provider_options["OPENWEATHER_URL"]
    assert default == "https://api.openweathermap.org"
    with pytest.raises(SettingsError, match="OPENWEATHER_URL"):
        Settings.from_env({"OPENWEATHER_URL": "ftp://example.org"})


async def _built_provider(env: dict[str, str]) -> WeatherProvider:
    """The provider stack the container would build from these settings."""
    async with httpx.AsyncClient() as http:
        return upstreams(
            Settings.from_env(env),
            http,
            MemoryCache(clock=SystemClock()),
            MemoryMetrics(),
            SystemClock(),
        ).provider


async def test_one_provider_is_built_as_its_own_guarded_counted_stack() -> None:
    provider = await _built_provider({})

    # Calls counted around the guard, attempts inside it (README, /stats).
    assert isinstance(provider, CountedProvider)
    assert isinstance(provider.inner, ProtectedProvider)
    assert provider.name == "open-meteo"


async def test_a_provider_list_fails_over_between_separately_guarded_stacks() -> None:
    env = {"WEATHER_PROVIDER": "open-meteo,openweathermap", "OPENWEATHER_API_KEY": "k"}
    provider = await _built_provider(env)

    assert isinstance(provider, FailoverProvider)
    assert [p.name for p in provider.providers] == ["open-meteo", "openweathermap"]
    stacks = [p.inner for p in provider.providers if isinstance(p, CountedProvider)]
    assert len(stacks) == 2
    assert all(isinstance(p, ProtectedProvider) for p in stacks)
    guards = [p for p in stacks if isinstance(p, ProtectedProvider)]
    assert guards[0].breaker is not guards[1].breaker  # one sick provider trips only its own
