"""The protected Open-Meteo stack, wired from Settings, against the fake server: an upstream
inside UPSTREAM_TIMEOUT answers, one just past it times out and counts once."""

from __future__ import annotations

import httpx
import pytest

from adapters.memory.cache import MemoryCache
from adapters.providers.cached_geocoder import CachedGeocoder
from adapters.providers.open_meteo import OpenMeteoGeocoder, OpenMeteoProvider
from adapters.resilience.protected_provider import ProtectedProvider
from adapters.system_clock import SystemClock
from domain.model.admission import UpstreamCall
from domain.model.errors import UpstreamTimedOut
from domain.model.query import WeatherQuery
from entrypoints.settings import Settings
from entrypoints.wiring.upstream import http_limits, protection_config
from tests.support.fake_open_meteo import FakeOpenMeteo

TIMEOUT_S = 1.0
BOISE = WeatherQuery.parse("Boise")


def protected_open_meteo(client: httpx.AsyncClient, url: str) -> ProtectedProvider:
    settings = Settings.from_env({"UPSTREAM_TIMEOUT": str(TIMEOUT_S)})
    limits = http_limits(settings)
    geocoder = CachedGeocoder(
        OpenMeteoGeocoder(client, base_url=url, limits=limits), MemoryCache(clock=SystemClock())
    )
    inner = OpenMeteoProvider(client, geocoder, base_url=url, limits=limits)
    return ProtectedProvider(inner, protection_config(settings), clock=SystemClock())


@pytest.mark.parametrize("share", [0.6, 0.9])
async def test_requests_each_inside_the_timeout_answer_though_together_they_exceed_it(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient, share: float
) -> None:
    await fake_open_meteo.aset(latency_s=share * TIMEOUT_S)  # geocoding and forecast each
    provider = protected_open_meteo(client, fake_open_meteo.url)

    weather = await provider.current(BOISE, UpstreamCall())

    assert weather.city == "Boise"
    assert provider.breaker.consecutive_failures == 0
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 1}


@pytest.mark.parametrize("endpoint", ["geocoding", "forecast"])
async def test_a_request_just_past_the_timeout_counts_once_and_is_not_retried(
    fake_open_meteo: FakeOpenMeteo, client: httpx.AsyncClient, endpoint: str
) -> None:
    await fake_open_meteo.aset(latency_s=1.2 * TIMEOUT_S, endpoint=endpoint)
    provider = protected_open_meteo(client, fake_open_meteo.url)

    with pytest.raises(UpstreamTimedOut, match=f"{endpoint} upstream timed out"):
        await provider.current(BOISE, UpstreamCall())

    assert provider.breaker.consecutive_failures == 1
    expected = {"geocoding": 1, "forecast": 0 if endpoint == "geocoding" else 1}
    assert await fake_open_meteo.acalls() == expected
