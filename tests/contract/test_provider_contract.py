"""Every WeatherProvider keeps the port's promises, the simulated one as well as Open-Meteo."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from adapters.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.simulated_provider import SimulatedProvider
from domain.errors import CityNotFound, UpstreamUnavailable
from domain.query import WeatherQuery
from ports.provider import WeatherProvider
from tests.support.fake_open_meteo import FakeOpenMeteo


@dataclass
class Upstream:
    provider: WeatherProvider
    fail: Callable[[], Awaitable[object]]
    recover: Callable[[], Awaitable[object]]


@pytest.fixture(params=["open-meteo", "simulated"])
async def upstream(
    request: pytest.FixtureRequest, fake_open_meteo: FakeOpenMeteo
) -> AsyncIterator[Upstream]:
    if request.param == "simulated":
        yield _simulated()
        return
    async with httpx.AsyncClient(timeout=5.0) as client:
        geocoder = OpenMeteoGeocoder(client, base_url=fake_open_meteo.url)
        yield Upstream(
            provider=OpenMeteoProvider(client, geocoder, base_url=fake_open_meteo.url),
            fail=lambda: fake_open_meteo.aset(mode="error500"),
            recover=lambda: fake_open_meteo.aset(mode="ok"),
        )


def _simulated() -> Upstream:
    provider = SimulatedProvider(rng=random.Random(7))

    async def set_failure_rate(rate: float) -> None:
        provider.failure_rate = rate

    return Upstream(
        provider=provider,
        fail=lambda: set_failure_rate(1.0),
        recover=lambda: set_failure_rate(0.0),
    )


async def test_a_known_city_has_current_weather(upstream: Upstream) -> None:
    weather = await upstream.provider.current(WeatherQuery.parse("San Jose"))

    assert weather.city == "San Jose"
    assert isinstance(weather.temperature, float)
    assert 0 <= weather.humidity <= 100
    assert weather.description
    assert weather.provider == upstream.provider.name


async def test_an_unknown_city_raises_city_not_found(upstream: Upstream) -> None:
    with pytest.raises(CityNotFound):
        await upstream.provider.current(WeatherQuery.parse("Nowhere Special"))


async def test_a_failing_upstream_raises_upstream_unavailable(upstream: Upstream) -> None:
    await upstream.fail()

    with pytest.raises(UpstreamUnavailable):
        await upstream.provider.current(WeatherQuery.parse("Boston"))


async def test_healthy_follows_the_outcome_of_the_last_call(upstream: Upstream) -> None:
    provider, boston = upstream.provider, WeatherQuery.parse("Boston")
    assert provider.healthy()

    await upstream.fail()
    with pytest.raises(UpstreamUnavailable):
        await provider.current(boston)
    assert not provider.healthy()

    await upstream.recover()
    await provider.current(boston)
    assert provider.healthy()


async def test_an_unknown_city_is_not_an_upstream_failure(upstream: Upstream) -> None:
    await upstream.fail()
    with pytest.raises(UpstreamUnavailable):
        await upstream.provider.current(WeatherQuery.parse("Boston"))
    await upstream.recover()

    with pytest.raises(CityNotFound):
        await upstream.provider.current(WeatherQuery.parse("Nowhere Special"))
    assert upstream.provider.healthy()
