"""Fixtures for the fake upstreams: one server each per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap


@pytest.fixture(scope="session")
def fake_open_meteo_server() -> Iterator[FakeOpenMeteo]:
    with FakeOpenMeteo() as fake:
        yield fake


@pytest.fixture
def fake_open_meteo(fake_open_meteo_server: FakeOpenMeteo) -> FakeOpenMeteo:
    """The session's fake, back to mode "ok", no latency and zero calls."""
    fake_open_meteo_server.reset()
    return fake_open_meteo_server


@pytest.fixture
def fake_gateway_upstream(fake_open_meteo: FakeOpenMeteo) -> FakeOpenMeteo:
    """The session's fake, its gateway part reset too: empty call log, mode "ok", run 1."""
    fake_open_meteo.gateway_reset()
    return fake_open_meteo


@pytest.fixture(scope="session")
def fake_openweathermap_server() -> Iterator[FakeOpenWeatherMap]:
    fake = FakeOpenWeatherMap()
    with fake:
        yield fake


@pytest.fixture
def fake_openweathermap(fake_openweathermap_server: FakeOpenWeatherMap) -> FakeOpenWeatherMap:
    """The session's fake OpenWeatherMap, back to mode "ok", no latency and zero calls."""
    fake_openweathermap_server.reset()
    return fake_openweathermap_server
