"""The composition root: each client and port is one provider, overridden alone."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers

from adapters.memory.cache import MemoryCache
from adapters.memory.lock import MemoryLock
from adapters.observability.prometheus_instruments import Instruments
from domain.model.query import WeatherQuery
from entrypoints.container import Container, opened_services
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.settings import Settings
from tests.unit.fakes import FakeClock

FORECAST = {
    "current": {
        "time": "2026-11-29T21:00",
        "interval": 900,
        "temperature_2m": 21.0,
        "relative_humidity_2m": 50,
        "weather_code": 1,
    },
}
PLACE = {"results": [{"name": "Paris", "latitude": 48.85, "longitude": 2.35, "country": "FR"}]}


def _container(env: dict[str, str]) -> Container:
    container = Container()
    container.settings.override(providers.Object(Settings.from_env(env)))
    return container


async def test_with_no_redis_given_the_ports_are_the_in_memory_adapters() -> None:
    # SKYCACHE_CACHE=auto would ping REDIS_URL; overriding the one client provider means
    # nothing is dialled, and every port follows that choice.
    container = _container({"WEATHER_PROVIDER": "simulated"})
    container.redis.override(providers.Object(None))
    async with opened_services(container) as services:
        assert isinstance(container.cache(), MemoryCache)  # no Resource under it: not awaited
        assert isinstance(await container.lock(), MemoryLock)
        assert (await services.check_health()).cache == "memory"


async def test_an_overridden_clock_is_the_time_of_the_cache_and_the_use_case() -> None:
    container = _container({"SKYCACHE_CACHE": "memory", "WEATHER_PROVIDER": "simulated"})
    clock = FakeClock()
    container.clock.override(providers.Object(clock))
    async with opened_services(container) as services:
        await services.get_weather(WeatherQuery.parse("Paris"))
        cached = await container.cache()
        entry = await cached.get(WeatherQuery.parse("Paris").key)
        assert entry is not None
        assert entry.fetched_at == clock.now()


async def test_an_overridden_http_client_carries_every_upstream_call() -> None:
    seen: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        body = PLACE if request.url.path == "/v1/search" else FORECAST
        return httpx.Response(200, json=body)

    container = _container({"SKYCACHE_CACHE": "memory"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
        container.http_client.override(providers.Object(http))
        async with opened_services(container) as services:
            result = await services.get_weather(WeatherQuery.parse("Paris"))
    assert result.weather.temperature == pytest.approx(21.0)
    assert seen == ["/v1/search", "/v1/forecast"]


async def test_every_tally_still_pending_at_shutdown_is_flushed(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    env = {"SKYCACHE_CACHE": "memory", "SKYCACHE_RUN_DIR": str(tmp_path)}
    container = _container(env | {"WEATHER_PROVIDER": "simulated"})
    container.clock.override(providers.Object(FakeClock()))  # no flush period ever ends
    instruments = Instruments(multiprocess=False)
    container.instruments.override(providers.Object(instruments))
    assert instruments.registry is not None
    shared = tmp_path / "metrics" / f"top-cities-{os.getpid()}.json"
    async with opened_services(container) as services:
        await services.get_weather(WeatherQuery.parse("Paris"))
        container.top_cities().add(b"city=Oslo")
        assert instruments.registry.get_sample_value("skycache_api_calls_total") == 0
        assert not shared.exists()
    assert instruments.registry.get_sample_value("skycache_api_calls_total") == 1
    assert json.loads(shared.read_text()) == {"oslo": ["Oslo", 1]}


async def test_the_last_request_lines_reach_the_log_at_shutdown() -> None:
    container = _container({"SKYCACHE_CACHE": "memory", "WEATHER_PROVIDER": "simulated"})
    container.clock.override(providers.Object(FakeClock()))  # no flush period ever ends
    stream = io.BytesIO()
    container.access_log.override(providers.Object(AccessLog(stream)))
    async with opened_services(container):
        container.access_log().write("GET", "/weather", 200, 0.001, "MISS")
        assert stream.getvalue() == b""
    assert json.loads(stream.getvalue())["path"] == "/weather"
