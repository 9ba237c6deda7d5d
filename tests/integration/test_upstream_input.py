"""The provider adapters against fakes sending what a real upstream has been seen to send:
null fields, odd 200s, bodies too large or too slow. Nothing unbounded gets through."""

from __future__ import annotations

import time

import httpx
import pytest

from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.providers.openweathermap import OpenWeatherMapProvider
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    CityNotFound,
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap

pytestmark = pytest.mark.integration

BOISE = WeatherQuery.parse("Boise")


def open_meteo(client: httpx.AsyncClient, url: str, **limits: float) -> OpenMeteoProvider:
    bounds = HttpLimits(**limits)  # type: ignore[arg-type]
    geocoder = OpenMeteoGeocoder(client, base_url=url, limits=bounds)
    return OpenMeteoProvider(client, geocoder, base_url=url, limits=bounds)


@pytest.mark.parametrize(
    ("mode", "humidity_is_none", "description"),
    [
        ("null_humidity", True, "set"),
        ("null_weather_code", False, None),
        ("float_code", False, "Overcast"),
    ],
)
async def test_null_optional_fields_and_a_float_code_are_still_weather(
    fake_open_meteo: FakeOpenMeteo,
    client: httpx.AsyncClient,
    mode: str,
    humidity_is_none: bool,
    description: str | None,
) -> None:
    await fake_open_meteo.aset(mode=mode, endpoint="forecast")
    weather = await open_meteo(client, fake_open_meteo.url).current(BOISE, UpstreamCall())
    assert (weather.humidity is None) is humidity_is_none
    if description != "set":
        assert weather.description == description


@pytest.mark.parametrize(
    ("mode", "endpoint", "where"),
    [
        ("null_temperature", "forecast", "$.current.temperature_2m"),
        ("missing_temperature", "forecast", "temperature_2m"),
        ("hot", "forecast", "$.current.temperature_2m"),
        ("long_name", "geocoding", "$.results[0].name"),
    ],
)
async def test_a_field_missing_null_or_out_of_bounds_makes_the_citys_answer_unusable(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient, mode: str, endpoint: str, where: str
) -> None:
    await fake_open_meteo.aset(mode=mode, endpoint=endpoint)
    with pytest.raises(UnusableAnswer, match=r"unusable body") as raised:
        await open_meteo(client, fake_open_meteo.url).current(BOISE, UpstreamCall())
    assert where in raised.value.reason
    assert "NNNN" not in raised.value.reason  # the reason names the field, not its value


@pytest.mark.parametrize("mode", ["error_200", "empty_object"])
async def test_only_the_documented_no_match_is_an_unknown_city(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient, mode: str
) -> None:
    geocoder = OpenMeteoGeocoder(client, base_url=fake_open_meteo.url)
    with pytest.raises(CityNotFound):
        await geocoder.locate(
            WeatherQuery.parse("Nowhereville"), UpstreamCall()
        )  # {"generationtime_ms": ..}

    await fake_open_meteo.aset(mode=mode, endpoint="geocoding")
    with pytest.raises(UpstreamBadResponse, match="not an answer") as raised:
        await geocoder.locate(BOISE, UpstreamCall())
    assert type(raised.value) is UpstreamBadResponse  # not remembered as unusable either


async def test_a_body_over_the_cap_is_abandoned_as_it_streams_in(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    await fake_open_meteo.aset(mode="huge_body", endpoint="forecast", body_bytes=50_000_000)
    started = time.monotonic()
    with pytest.raises(UpstreamBadResponse, match="body over 65536 bytes"):
        await open_meteo(client, fake_open_meteo.url, max_body_bytes=65_536).current(
            BOISE, UpstreamCall()
        )
    print(f"\n50 MB body abandoned after {time.monotonic() - started:.3f} s")


async def test_a_trickling_body_is_cut_off_at_the_whole_call_timeout(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    # httpx's own timeout (5 s a read, from the client fixture) never fires: a byte a second.
    await fake_open_meteo.aset(mode="trickle", endpoint="forecast")
    with pytest.raises(UpstreamUnavailable, match="forecast upstream timed out"):
        await open_meteo(client, fake_open_meteo.url, timeout_s=1.5).current(BOISE, UpstreamCall())


async def test_a_429s_retry_after_reaches_the_error_clamped(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    await fake_open_meteo.aset(mode="error429", endpoint="forecast", retry_after="1e308")
    with pytest.raises(UpstreamRateLimited) as raised:
        await open_meteo(client, fake_open_meteo.url, retry_after_max_s=900).current(
            BOISE, UpstreamCall()
        )
    assert raised.value.retry_after_s == 900


@pytest.mark.parametrize(
    ("mode", "field"), [("null_humidity", "humidity"), ("no_weather", "description")]
)
async def test_openweathermap_null_humidity_or_no_condition_is_still_weather(
    fake_openweathermap: FakeOpenWeatherMap, client: httpx.AsyncClient, mode: str, field: str
) -> None:
    await fake_openweathermap.aset(mode=mode)
    provider = OpenWeatherMapProvider(
        client, api_key=fake_openweathermap.api_key, base_url=fake_openweathermap.url
    )
    weather = await provider.current(WeatherQuery.parse("San Jose"), UpstreamCall())
    assert getattr(weather, field) is None
    assert weather.temperature is not None
