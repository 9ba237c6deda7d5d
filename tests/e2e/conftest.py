"""Real service processes on loopback, against the fake Open-Meteo and a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.app_server import AppServer
from tests.support.edge import reachable_state_dir
from tests.support.fake_open_meteo import FakeOpenMeteo

StartApp = Callable[..., AppServer]
# A load test's marks: it runs in the "load" xdist group, so one after another on one
# worker, never two loads beside each other on the 2 cores.
LOAD_TEST = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.xdist_group("load"),
]


@pytest.fixture
def app_env(redis_url: str, fake_open_meteo: FakeOpenMeteo) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "SKYCACHE_CACHE": "redis",
        "WEATHER_PROVIDER": "open-meteo",
        "OPEN_METEO_GEOCODING_URL": fake_open_meteo.url,
        "OPEN_METEO_FORECAST_URL": fake_open_meteo.url,
        "UPSTREAM_TIMEOUT": "2",
    }


@pytest.fixture
def edge_state() -> Iterator[Path]:
    with reachable_state_dir() as state:
        yield state


@pytest.fixture
def start_app(app_env: dict[str, str], redis_client: object) -> Iterator[StartApp]:
    """Starts service processes (each test gets an emptied Redis); stops them afterwards."""
    started: list[AppServer] = []

    def start(
        env: Mapping[str, str] | None = None, *, workers: int = 1, port: int | None = None
    ) -> AppServer:
        server = AppServer({**app_env, **(env or {})}, workers=workers, port=port)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()
