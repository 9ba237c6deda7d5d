"""The Open-Meteo adapters against the fake server: happy path, every failure, call counts."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from adapters.memory.cache import MemoryCache
from adapters.providers.cached_geocoder import CachedGeocoder
from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.system_clock import SystemClock
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    CityNotFound,
    UnusableAnswer,
    UpstreamRateLimited,
    UpstreamTimedOut,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from ports.provider import Geocoder
from tests.support.fake_open_meteo import FakeOpenMeteo, closed_port_url

SAN_JOSE = WeatherQuery.parse("San Jose")


def open_meteo(
    client: httpx.AsyncClient, url: str, geocoder: Geocoder | None = None
) -> OpenMeteoProvider:
    geocoder = geocoder or OpenMeteoGeocoder(client, base_url=url)
    return OpenMeteoProvider(client, geocoder, base_url=url)


async def test_a_city_is_geocoded_then_its_current_weather_fetched(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    weather = await open_meteo(client, fake_open_meteo.url).current(SAN_JOSE, UpstreamCall())

    assert (weather.city, weather.country) == ("San Jose", "United States")
    assert (weather.latitude, weather.longitude) == (37.33939, -121.89496)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", weather.observed_at or "")
    assert weather.provider == "open-meteo"
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}


async def test_the_city_name_is_the_one_open_meteo_knows(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    weather = await open_meteo(client, fake_open_meteo.url).current(
        WeatherQuery.parse("sao paulo"), UpstreamCall()
    )

    assert weather.city == "São Paulo"


async def test_an_unknown_city_costs_no_forecast_call(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    with pytest.raises(CityNotFound):
        await open_meteo(client, fake_open_meteo.url).current(
            WeatherQuery.parse("Nowhereville"), UpstreamCall()
        )

    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 0}


async def test_a_cached_location_costs_no_second_geocoding_call(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    geocoder = CachedGeocoder(
        OpenMeteoGeocoder(client, base_url=fake_open_meteo.url), MemoryCache(clock=SystemClock())
    )
    provider = open_meteo(client, fake_open_meteo.url, geocoder)

    first = await provider.current(SAN_JOSE, UpstreamCall())
    second = await provider.current(SAN_JOSE, UpstreamCall())

    assert second.city == first.city
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 2}


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (0, "Clear sky"),
        (2, "Partly cloudy"),
        (45, "Fog"),
        (95, "Thunderstorm"),
        (42, "Unknown (code 42)"),
    ],
)
async def test_the_wmo_weather_code_becomes_a_description(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient, code: int, description: str
) -> None:
    await fake_open_meteo.aset(weather_code=code)

    weather = await open_meteo(client, fake_open_meteo.url).current(SAN_JOSE, UpstreamCall())

    assert weather.description == description


# mode -> the error, its reason, and whether the provider still counts as healthy; the
# failures every HTTP provider shares are in test_provider_failures.py.
FAILURES = [
    ("error400", UnusableAnswer, "upstream answered 400: Cannot initialize", True),
]


@pytest.mark.parametrize("endpoint", ["geocoding", "forecast"])
@pytest.mark.parametrize(("mode", "error", "reason", "healthy"), FAILURES)
async def test_each_upstream_failure_becomes_its_domain_error(
    fake_open_meteo: FakeOpenMeteo,
    client: httpx.AsyncClient,
    endpoint: str,
    mode: str,
    error: type[UpstreamUnavailable],
    reason: str,
    healthy: bool,
) -> None:
    await fake_open_meteo.aset(mode=mode, endpoint=endpoint)
    provider = open_meteo(client, fake_open_meteo.url)

    with pytest.raises(UpstreamUnavailable) as raised:
        await provider.current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is error  # exactly: the subclasses matter to callers
    assert raised.value.reason.startswith(f"{endpoint} {reason}")
    assert provider.healthy() is healthy


async def test_a_rate_limit_carries_retry_after(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    await fake_open_meteo.aset(mode="error429", endpoint="forecast")

    with pytest.raises(UpstreamRateLimited) as raised:
        await open_meteo(client, fake_open_meteo.url).current(SAN_JOSE, UpstreamCall())

    assert raised.value.retry_after_s == 60.0


@pytest.mark.parametrize("endpoint", ["geocoding", "forecast"])
async def test_a_hung_upstream_times_out_as_unavailable(
    fake_open_meteo: FakeOpenMeteo, endpoint: str
) -> None:
    await fake_open_meteo.aset(mode="timeout", endpoint=endpoint)

    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(UpstreamUnavailable) as raised:
            await open_meteo(client, fake_open_meteo.url).current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is UpstreamTimedOut  # counted against the breaker, not retried
    assert raised.value.reason == f"{endpoint} upstream timed out"


async def test_a_port_nobody_listens_on_is_unavailable(client: httpx.AsyncClient) -> None:
    with pytest.raises(UpstreamUnavailable) as raised:
        await open_meteo(client, closed_port_url()).current(SAN_JOSE, UpstreamCall())

    assert raised.value.reason == "geocoding upstream connection failed (ConnectError)"


async def test_latency_is_per_request_so_concurrent_calls_overlap(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    await fake_open_meteo.aset(latency_s=0.3, endpoint="forecast")
    provider = open_meteo(client, fake_open_meteo.url)

    started = time.monotonic()
    await asyncio.gather(*(provider.current(SAN_JOSE, UpstreamCall()) for _ in range(50)))

    # Serialised, 50 calls would take 15 s; overlapping, about one latency. Half the
    # serial time is a bound on behaviour (they overlapped), not on the machine's speed.
    assert time.monotonic() - started < 50 * 0.3 / 2
    assert await fake_open_meteo.acalls() == {"geocoding": 50, "forecast": 50}
