"""Failover end to end: open-meteo,openweathermap over their fakes, through the real service.

The first provider times out, then answers 500s: answers keep coming from the second,
marked "openweathermap", and the first one's breaker stops calls to it. When it recovers,
its breaker's probe lets traffic return to it. /stats counts each provider's calls.
"""

from __future__ import annotations

import asyncio
import itertools
import string
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

BREAKER_RESET_S = 2.0
Ask = Callable[[], Awaitable[str]]


@pytest.fixture
async def fakes(
    fake_open_meteo: FakeOpenMeteo, fake_openweathermap: FakeOpenWeatherMap
) -> tuple[FakeOpenMeteo, FakeOpenWeatherMap]:
    # Any name is a city to both, so every request can ask for a new one and miss the cache.
    await fake_open_meteo.aset(accept_any=True)
    await fake_openweathermap.aset(accept_any=True)
    return fake_open_meteo, fake_openweathermap


@pytest.fixture
def failover_env(fake_openweathermap: FakeOpenWeatherMap) -> dict[str, str]:
    return {
        "WEATHER_PROVIDER": "open-meteo,openweathermap",
        "OPENWEATHER_URL": fake_openweathermap.url,
        "OPENWEATHER_API_KEY": fake_openweathermap.api_key,
        "NEAR_CACHE_TTL": "0",
        "UPSTREAM_TIMEOUT": "0.5",
        "BREAKER_FAILURES": "2",
        "BREAKER_RESET": str(BREAKER_RESET_S),
    }


@pytest.fixture
async def client(
    start_app: StartApp, failover_env: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    # One worker: breakers are per process, so one process makes the story exact.
    app = start_app(failover_env, workers=1)
    async with httpx.AsyncClient(base_url=app.url, timeout=15) as client:
        yield client


def town_names() -> Iterator[str]:
    """Town Aa, Town Ab, ...: names must be letters, so no numbers."""
    for a, b in itertools.product(string.ascii_lowercase, repeat=2):
        yield f"Town {a.upper()}{b}"


@pytest.fixture
def ask(client: httpx.AsyncClient) -> Ask:
    """Asks for a city nobody has asked for yet; returns the provider that answered."""
    towns = town_names()

    async def ask() -> str:
        response = await client.get("/weather", params={"city": next(towns)})
        assert response.status_code == 200, response.text
        assert response.headers["x-cache"] == "MISS"
        provider: str = response.json()["provider"]
        return provider

    return ask


def total(calls: dict[str, int]) -> int:
    return sum(calls.values())


async def test_the_second_provider_serves_while_the_first_fails_then_traffic_returns(
    fakes: tuple[FakeOpenMeteo, FakeOpenWeatherMap], client: httpx.AsyncClient, ask: Ask
) -> None:
    meteo, owm = fakes
    assert await ask() == "open-meteo"

    await meteo.aset(mode="timeout")
    assert [await ask() for _ in range(3)] == ["openweathermap"] * 3
    assert (await client.get("/healthz")).json()["provider_ok"] is True  # one is enough

    await meteo.aset(mode="error500")
    before = total(await meteo.acalls())
    assert [await ask() for _ in range(6)] == ["openweathermap"] * 6
    # Its breaker is open: at most a probe or two reached it, not one call per request.
    assert total(await meteo.acalls()) - before <= 2

    await meteo.aset(mode="ok")
    answers = [await ask()]
    for _ in range(40):  # the breaker closes on the first probe after BREAKER_RESET
        if answers[-1] == "open-meteo":
            break
        await asyncio.sleep(BREAKER_RESET_S / 8)
        answers.append(await ask())
    assert answers[-1] == "open-meteo", f"traffic never returned: {answers}"
    assert [await ask() for _ in range(3)] == ["open-meteo"] * 3

    stats = (await client.get("/stats")).json()
    # Every request was one fetch that went out, to one provider or both.
    assert stats["api_calls"] == 1 + 3 + 6 + len(answers) + 3
    calls, attempts = stats["api_calls_by_provider"], stats["api_attempts_by_provider"]
    assert set(calls) == {"open-meteo", "openweathermap"}
    assert calls["openweathermap"] == attempts["openweathermap"] == (await owm.acalls())["weather"]
    # 5 answers, and the call whose two timed-out attempts opened its breaker; the calls
    # the open breaker turned away are none.
    assert calls["open-meteo"] >= 5 + 1
    # A timed-out call is never retried (its deadline is spent): attempts are calls here.
    assert attempts["open-meteo"] == calls["open-meteo"]
    assert stats["upstream_errors_by_provider"]["open-meteo"] >= 1
    assert "openweathermap" not in stats["upstream_errors_by_provider"]


async def test_when_every_provider_fails_the_503_names_each_one(
    fakes: tuple[FakeOpenMeteo, FakeOpenWeatherMap], client: httpx.AsyncClient
) -> None:
    meteo, owm = fakes
    await meteo.aset(mode="error500")
    await owm.aset(mode="error503")

    response = await client.get("/weather", params={"city": "Town Zz"})

    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail.startswith("every provider failed: open-meteo: ")
    assert "; openweathermap: openweathermap upstream answered 503" in detail


async def test_an_unknown_city_is_answered_by_the_first_provider_alone(
    fakes: tuple[FakeOpenMeteo, FakeOpenWeatherMap], client: httpx.AsyncClient
) -> None:
    meteo, owm = fakes

    response = await client.get("/weather", params={"city": "Nowhere Special"})

    assert response.status_code == 404
    assert (await meteo.acalls())["geocoding"] == 1
    assert await owm.acalls() == {"weather": 0}
