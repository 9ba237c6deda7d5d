"""Every WeatherProvider keeps the port's promises: Open-Meteo and OpenWeatherMap against
their fake servers, the simulated one, and a failover list of the two HTTP ones."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.providers.openweathermap import OpenWeatherMapProvider
from adapters.providers.simulated import SimulatedProvider
from adapters.resilience.failover import FailoverProvider
from adapters.upstream_call import CALL
from domain.model.admission import Priority, UpstreamCall
from domain.model.errors import CityNotFound, UpstreamUnavailable
from domain.model.query import WeatherQuery
from ports.provider import WeatherProvider
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap


@dataclass
class Upstream:
    provider: WeatherProvider
    fail: Callable[[], Awaitable[object]]
    recover: Callable[[], Awaitable[object]]
    answers_as: tuple[str, ...] = ()  # Weather.provider; the provider's own name if empty
    carried: list[object] = field(default_factory=list)  # each HTTP request's UpstreamCall


@pytest.fixture(params=["open-meteo", "openweathermap", "failover", "simulated"])
async def upstream(
    request: pytest.FixtureRequest,
    fake_open_meteo: FakeOpenMeteo,
    fake_openweathermap: FakeOpenWeatherMap,
) -> AsyncIterator[Upstream]:
    if request.param == "simulated":
        yield _simulated()
        return
    carried: list[object] = []

    async def note(request: httpx.Request) -> None:
        carried.append(request.extensions.get(CALL))

    async with httpx.AsyncClient(timeout=5.0, event_hooks={"request": [note]}) as client:
        meteo = _open_meteo(client, fake_open_meteo)
        owm = _openweathermap(client, fake_openweathermap)
        if request.param == "failover":
            chosen = _failover(meteo, owm)
        else:
            chosen = meteo if request.param == "open-meteo" else owm
        chosen.carried = carried
        yield chosen


def _open_meteo(client: httpx.AsyncClient, fake: FakeOpenMeteo) -> Upstream:
    geocoder = OpenMeteoGeocoder(client, base_url=fake.url)
    return Upstream(
        provider=OpenMeteoProvider(client, geocoder, base_url=fake.url),
        fail=lambda: fake.aset(mode="error500"),
        recover=lambda: fake.aset(mode="ok"),
    )


def _openweathermap(client: httpx.AsyncClient, fake: FakeOpenWeatherMap) -> Upstream:
    return Upstream(
        provider=OpenWeatherMapProvider(client, api_key=fake.api_key, base_url=fake.url),
        fail=lambda: fake.aset(mode="error503"),
        recover=lambda: fake.aset(mode="ok"),
    )


def _failover(*upstreams: Upstream) -> Upstream:
    """Fails only when every one of its providers does."""

    async def each(steps: list[Callable[[], Awaitable[object]]]) -> None:
        for step in steps:
            await step()

    return Upstream(
        provider=FailoverProvider([u.provider for u in upstreams]),
        fail=lambda: each([u.fail for u in upstreams]),
        recover=lambda: each([u.recover for u in upstreams]),
        answers_as=tuple(u.provider.name for u in upstreams),
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
    weather = await upstream.provider.current(WeatherQuery.parse("San Jose"), UpstreamCall())

    assert weather.city == "San Jose"
    assert isinstance(weather.temperature, float)
    assert 0 <= weather.humidity <= 100
    assert weather.description
    assert weather.provider in (upstream.answers_as or (upstream.provider.name,))


async def test_a_point_has_the_weather_of_its_cell_and_no_city(upstream: Upstream) -> None:
    weather = await upstream.provider.current(
        WeatherQuery.at("37.3449", "-121.8851"), UpstreamCall()
    )

    assert weather.city is None
    assert (weather.latitude, weather.longitude) == (37.34, -121.89)  # the snapped point
    assert isinstance(weather.temperature, float)
    assert weather.provider in (upstream.answers_as or (upstream.provider.name,))


async def test_a_point_in_the_middle_of_nowhere_has_weather_too(upstream: Upstream) -> None:
    weather = await upstream.provider.current(
        WeatherQuery.at("-48.876", "-123.393"), UpstreamCall()
    )
    assert (weather.city, weather.latitude, weather.longitude) == (None, -48.88, -123.39)


async def test_an_unknown_city_raises_city_not_found(upstream: Upstream) -> None:
    with pytest.raises(CityNotFound):
        await upstream.provider.current(WeatherQuery.parse("Nowhere Special"), UpstreamCall())


async def test_a_failing_upstream_raises_upstream_unavailable(upstream: Upstream) -> None:
    await upstream.fail()

    with pytest.raises(UpstreamUnavailable):
        await upstream.provider.current(WeatherQuery.parse("Boston"), UpstreamCall())


async def test_healthy_follows_the_outcome_of_the_last_call(upstream: Upstream) -> None:
    provider, boston = upstream.provider, WeatherQuery.parse("Boston")
    assert provider.healthy()

    await upstream.fail()
    with pytest.raises(UpstreamUnavailable):
        await provider.current(boston, UpstreamCall())
    assert not provider.healthy()

    await upstream.recover()
    await provider.current(boston, UpstreamCall())
    assert provider.healthy()


async def test_an_unknown_city_is_not_an_upstream_failure(upstream: Upstream) -> None:
    await upstream.fail()
    with pytest.raises(UpstreamUnavailable):
        await upstream.provider.current(WeatherQuery.parse("Boston"), UpstreamCall())
    await upstream.recover()

    with pytest.raises(CityNotFound):
        await upstream.provider.current(WeatherQuery.parse("Nowhere Special"), UpstreamCall())
    assert upstream.provider.healthy()


async def test_every_request_made_for_a_call_carries_that_call(upstream: Upstream) -> None:
    call = UpstreamCall(Priority.REFRESH)
    await upstream.provider.current(WeatherQuery.parse("San Jose"), call)

    assert all(carried is call for carried in upstream.carried)
    if not isinstance(upstream.provider, SimulatedProvider):  # it makes no HTTP request
        assert upstream.carried
    assert call.priority is Priority.REFRESH  # only ever rises: a geocoding never lowers it


async def test_a_failing_upstream_is_tried_with_the_same_call(upstream: Upstream) -> None:
    await upstream.fail()
    call = UpstreamCall()
    with pytest.raises(UpstreamUnavailable):
        await upstream.provider.current(WeatherQuery.parse("Boston"), call)

    assert all(carried is call for carried in upstream.carried)
    assert call.priority is Priority.UNKNOWN  # the bare geocoder remembers nothing
