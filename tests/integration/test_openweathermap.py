"""The OpenWeatherMap adapter against its fake server: mapping, every failure, the API key."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from adapters.providers.openweathermap import OpenWeatherMapProvider
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    CityNotFound,
    UpstreamBadResponse,
    UpstreamRejectedKey,
    UpstreamTimedOut,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from tests.support.fake_open_meteo import closed_port_url
from tests.support.fake_openweathermap import FakeOpenWeatherMap

SAN_JOSE = WeatherQuery.parse("San Jose")


def owm(
    client: httpx.AsyncClient, fake: FakeOpenWeatherMap, *, api_key: str | None = None
) -> OpenWeatherMapProvider:
    return OpenWeatherMapProvider(client, api_key=api_key or fake.api_key, base_url=fake.url)


async def test_current_weather_maps_into_the_domain_weather(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    weather = await owm(client, fake_openweathermap).current(SAN_JOSE, UpstreamCall())

    assert (weather.city, weather.country) == ("San Jose", "US")
    assert (weather.latitude, weather.longitude) == (37.3394, -121.895)
    assert isinstance(weather.temperature, float)
    assert isinstance(weather.humidity, float) and 0 <= weather.humidity <= 100
    assert weather.description[0].isupper()
    assert weather.provider == "openweathermap"
    assert await fake_openweathermap.acalls() == {"weather": 1}


async def test_observed_at_is_the_station_time_in_utc(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    weather = await owm(client, fake_openweathermap).current(SAN_JOSE, UpstreamCall())

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", weather.observed_at or "")
    observed = datetime.strptime(weather.observed_at or "", "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - observed).total_seconds()) < 900  # the fake's dt: now, -10 min


async def test_the_description_is_capitalised_and_the_name_is_owms_own(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    weather = await owm(client, fake_openweathermap).current(
        WeatherQuery.parse("sao paulo"), UpstreamCall()
    )

    assert weather.city == "São Paulo"
    assert weather.description in {
        "Clear sky", "Few clouds", "Scattered clouds", "Overcast clouds", "Mist", "Snow",
        "Light intensity drizzle", "Light rain", "Thunderstorm",
    }  # fmt: skip


async def test_an_unknown_city_is_city_not_found_and_keeps_the_provider_healthy(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    provider = owm(client, fake_openweathermap)

    with pytest.raises(CityNotFound):
        await provider.current(WeatherQuery.parse("Nowhereville"), UpstreamCall())

    assert provider.healthy()


async def test_a_wrong_api_key_is_a_bad_response_that_names_the_setting(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    provider = owm(client, fake_openweathermap, api_key="not-the-key")

    with pytest.raises(UpstreamBadResponse) as raised:
        await provider.current(SAN_JOSE, UpstreamCall())

    assert raised.value.reason == (
        "openweathermap rejected the API key (401): check OPENWEATHER_API_KEY"
    )
    assert "not-the-key" not in str(raised.value)
    assert not provider.healthy()


async def test_a_404_that_is_not_owms_city_not_found_is_a_bad_response(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    # OPENWEATHER_URL pointing at the wrong path must not turn every city into a 404.
    provider = OpenWeatherMapProvider(
        client, api_key=fake_openweathermap.api_key, base_url=f"{fake_openweathermap.url}/v9"
    )

    with pytest.raises(UpstreamBadResponse, match="answered 404"):
        await provider.current(SAN_JOSE, UpstreamCall())


# mode -> the error, its reason, and whether the provider still counts as healthy (a
# rejected key fails every call); the failures every HTTP provider shares are in
# test_provider_failures.py.
FAILURES = [
    ("error401", UpstreamRejectedKey, "openweathermap rejected the API key (401)", False),
    ("error500", UpstreamUnavailable, "openweathermap upstream answered 500: Internal", False),
    ("error503", UpstreamUnavailable, "openweathermap upstream answered 503", False),
]


@pytest.mark.parametrize(("mode", "error", "reason", "healthy"), FAILURES)
async def test_each_upstream_failure_becomes_its_domain_error(
    fake_openweathermap: FakeOpenWeatherMap,
    client: httpx.AsyncClient,
    mode: str,
    error: type[UpstreamUnavailable],
    reason: str,
    healthy: bool,
) -> None:
    await fake_openweathermap.aset(mode=mode)
    provider = owm(client, fake_openweathermap)

    with pytest.raises(UpstreamUnavailable) as raised:
        await provider.current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is error  # exactly: the subclasses matter to callers
    assert raised.value.reason.startswith(reason)
    assert provider.healthy() is healthy


async def test_a_hung_upstream_times_out_as_unavailable(
    fake_openweathermap: FakeOpenWeatherMap,
) -> None:
    await fake_openweathermap.aset(mode="timeout")

    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(UpstreamUnavailable) as raised:
            await owm(client, fake_openweathermap).current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is UpstreamTimedOut  # counted against the breaker, not retried
    assert raised.value.reason == "openweathermap upstream timed out"


async def test_a_port_nobody_listens_on_is_unavailable(client: httpx.AsyncClient) -> None:
    provider = OpenWeatherMapProvider(client, api_key="k", base_url=closed_port_url())

    with pytest.raises(UpstreamUnavailable) as raised:
        await provider.current(SAN_JOSE, UpstreamCall())

    assert raised.value.reason == "openweathermap upstream connection failed (ConnectError)"


async def test_the_provider_recovers_with_the_upstream(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient
) -> None:
    provider = owm(client, fake_openweathermap)
    await fake_openweathermap.aset(mode="error503")
    with pytest.raises(UpstreamUnavailable):
        await provider.current(SAN_JOSE, UpstreamCall())

    await fake_openweathermap.aset(mode="ok")

    assert (await provider.current(SAN_JOSE, UpstreamCall())).city == "San Jose"
    assert provider.healthy()
