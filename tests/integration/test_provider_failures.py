"""The HTTP providers fail alike (adapters/providers/http.py): the same failure of their
upstream is the same domain error, its reason in the upstream's own words, and the same
verdict on health: a body unusable for one city is an answer, not a sign it is down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.providers.openweathermap import OpenWeatherMapProvider
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    UnusableAnswer,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamUnreadable,
)
from domain.model.query import WeatherQuery
from ports.provider import WeatherProvider
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap

SAN_JOSE = WeatherQuery.parse("San Jose")

# mode -> the error, its reason after the upstream's name, and whether still healthy
FAILURES = [
    ("error500", UpstreamUnavailable, "upstream answered 500", False),
    ("error429", UpstreamRateLimited, "upstream answered 429: {limit}", False),
    ("bad_json", UpstreamUnreadable, "upstream sent an unusable body", False),
    ("missing_fields", UnusableAnswer, "upstream sent an unusable body", True),
    ("wrong_shape", UnusableAnswer, "upstream sent an unusable body", True),
    ("refuse", UpstreamUnavailable, "upstream connection failed", False),
]


@dataclass
class Failing:
    provider: WeatherProvider
    fail: Callable[[str], Awaitable[object]]  # the fake's failure mode
    named: str  # how its reasons start
    limit: str  # the upstream's own words on a 429


@pytest.fixture(params=["open-meteo geocoding", "open-meteo forecast", "openweathermap"])
def upstream(
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    fake_open_meteo: FakeOpenMeteo,
    fake_openweathermap: FakeOpenWeatherMap,
) -> Failing:
    if request.param == "openweathermap":
        fake = fake_openweathermap
        owm = OpenWeatherMapProvider(client, api_key=fake.api_key, base_url=fake.url)
        return Failing(owm, lambda mode: fake.aset(mode=mode), "openweathermap", "Your account")
    endpoint = request.param.removeprefix("open-meteo ")
    url = fake_open_meteo.url
    meteo = OpenMeteoProvider(client, OpenMeteoGeocoder(client, base_url=url), base_url=url)

    def fail(mode: str) -> Awaitable[object]:
        return fake_open_meteo.aset(mode=mode, endpoint=endpoint)

    return Failing(meteo, fail, endpoint, "Minutely API request limit")


@pytest.mark.parametrize(("mode", "error", "reason", "healthy"), FAILURES)
async def test_each_upstream_failure_becomes_its_domain_error(
    upstream: Failing, mode: str, error: type[UpstreamUnavailable], reason: str, healthy: bool
) -> None:
    await upstream.fail(mode)

    with pytest.raises(UpstreamUnavailable) as raised:
        await upstream.provider.current(SAN_JOSE, UpstreamCall())

    assert type(raised.value) is error  # exactly: the subclasses matter to callers
    expected = f"{upstream.named} {reason.format(limit=upstream.limit)}"
    assert raised.value.reason.startswith(expected)
    assert upstream.provider.healthy() is healthy
