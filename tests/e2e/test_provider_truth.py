"""Whose answer is cached, end to end: open-meteo,openweathermap over their fakes and Redis.

Open-Meteo answers 500s while OpenWeatherMap, asked in its place, does not know the city:
its "not found" neither replaces the stale copy nor is cached for a new city. And a city
cached by the simulated provider is fetched anew once WEATHER_PROVIDER names a real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from adapters.redis.envelope import decode_entry
from adapters.redis.keys import weather_key
from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

BREAKER_RESET_S = 1.0
# A made-up town: Open-Meteo's fake finds it (accept_any), OpenWeatherMap's does not.
TOWN = "Town Only Meteo Knows"


@pytest.fixture
async def client(
    start_app: StartApp,
    fake_open_meteo: FakeOpenMeteo,
    fake_openweathermap: FakeOpenWeatherMap,
) -> AsyncIterator[httpx.AsyncClient]:
    await fake_open_meteo.aset(accept_any=True)
    app = start_app(
        {
            "WEATHER_PROVIDER": "open-meteo,openweathermap",
            "OPENWEATHER_URL": fake_openweathermap.url,
            "OPENWEATHER_API_KEY": fake_openweathermap.api_key,
            "NEAR_CACHE_TTL": "0",
            "WEATHER_TTL": "1",
            "WEATHER_TTL_JITTER": "0",
            "REFRESH_BACKOFF": "0.5",
            "REFRESH_BACKOFF_MAX": "0.5",
            "BREAKER_FAILURES": "2",
            "BREAKER_RESET": str(BREAKER_RESET_S),
        },
        workers=1,
    )
    async with httpx.AsyncClient(base_url=app.url, timeout=15) as client:
        yield client


async def ask(client: httpx.AsyncClient, city: str = TOWN) -> httpx.Response:
    return await client.get("/weather", params={"city": city})


async def until_answered_by_open_meteo(client: httpx.AsyncClient, city: str) -> list[str]:
    """Asks until a fresh answer from Open-Meteo (its breaker lets a probe through after
    BREAKER_RESET); bounded: 40 asks, 0.25 s apart. Returns each answer's status/X-Cache."""
    seen = []
    for _ in range(40):
        response = await ask(client, city)
        seen.append(f"{response.status_code} {response.headers['x-cache']}")
        if response.status_code == 200 and response.headers["x-cache"] in ("HIT", "MISS"):
            assert response.json()["provider"] == "open-meteo"
            return seen
        await asyncio.sleep(0.25)
    raise AssertionError(f"never answered by open-meteo again: {seen}")


async def test_a_fallbacks_not_found_keeps_the_stale_copy_until_open_meteo_is_back(
    client: httpx.AsyncClient,
    fake_open_meteo: FakeOpenMeteo,
    fake_openweathermap: FakeOpenWeatherMap,
    redis_client: Redis,
) -> None:
    assert (await ask(client)).json()["provider"] == "open-meteo"
    await fake_open_meteo.aset(mode="error500")
    await asyncio.sleep(1.2)  # past WEATHER_TTL: stale

    replies = []
    for _ in range(20):  # bounded: until OpenWeatherMap was asked twice, 0.2 s apart
        replies.append(await ask(client))
        if (await fake_openweathermap.acalls())["weather"] >= 2:
            break
        await asyncio.sleep(0.2)
    replies.append(await ask(client))

    assert (await fake_openweathermap.acalls())["weather"] >= 2  # it was asked, said 404
    assert {(r.status_code, r.headers["x-cache"]) for r in replies} == {(200, "STALE")}
    raw = await redis_client.get(weather_key("town only meteo knows"))
    kept = decode_entry(raw)
    assert kept.weather is not None and kept.weather.provider == "open-meteo"
    assert kept.failures >= 1  # each failed refresh backed off

    await fake_open_meteo.aset(mode="ok")
    seen = await until_answered_by_open_meteo(client, TOWN)
    assert all(s == "200 STALE" for s in seen[:-1]), seen  # never a 404 on the way


async def test_a_new_city_during_the_outage_is_a_404_nobody_keeps(
    client: httpx.AsyncClient,
    fake_open_meteo: FakeOpenMeteo,
    fake_openweathermap: FakeOpenWeatherMap,
    redis_client: Redis,
) -> None:
    await fake_open_meteo.aset(mode="error500")

    first, second = await ask(client), await ask(client)

    for response in (first, second):
        assert response.status_code == 404, response.text
        assert response.headers["cache-control"] == "no-store"  # nor by the edge
        assert response.headers["x-cache"] == "MISS"
    assert response.json()["detail"].startswith("openweathermap knows no such city (open-meteo:")
    assert (await fake_openweathermap.acalls())["weather"] == 2  # asked again: not cached
    assert await redis_client.get(weather_key("town only meteo knows")) is None

    await fake_open_meteo.aset(mode="ok")
    seen = await until_answered_by_open_meteo(client, TOWN)
    assert set(seen[:-1]) <= {"404 MISS"}, seen


async def test_open_meteos_own_not_found_is_still_a_negative_entry(
    client: httpx.AsyncClient, fake_openweathermap: FakeOpenWeatherMap
) -> None:
    first, second = await ask(client, "Nowhere Special"), await ask(client, "Nowhere Special")

    assert (first.status_code, first.headers["x-cache"]) == (404, "MISS")
    assert (second.status_code, second.headers["x-cache"]) == (404, "NEGATIVE")
    assert second.headers["cache-control"].startswith("public, max-age=")
    assert await fake_openweathermap.acalls() == {"weather": 0}


async def test_a_city_cached_by_the_simulated_provider_is_fetched_anew_by_open_meteo(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # The near cache stays at its default: it lives in a process, so a restart empties it.
    simulated = start_app({"WEATHER_PROVIDER": "simulated"})
    async with httpx.AsyncClient(base_url=simulated.url, timeout=15) as client:
        for city in ("San Jose", "Boise", "Denver"):
            assert (await ask(client, city)).json()["provider"] == "simulated"
        assert (await ask(client, "Nowhere Special")).status_code == 404
    simulated.stop()

    real = start_app({})  # WEATHER_PROVIDER=open-meteo
    async with httpx.AsyncClient(base_url=real.url, timeout=15) as client:
        san_jose = await ask(client, "San Jose")
        nowhere = await ask(client, "Nowhere Special")
        batch = await client.post("/weather/batch", json={"cities": ["Boise", "Denver"]})

    assert (san_jose.status_code, san_jose.headers["x-cache"]) == (200, "MISS")
    assert san_jose.json()["provider"] == "open-meteo"
    assert (nowhere.status_code, nowhere.headers["x-cache"]) == (404, "MISS")  # asked anew
    # The batch's reads share one MGET: what it finds is the simulated provider's, a miss.
    results = batch.json()["results"]
    assert [(r["cache"], r["weather"]["provider"]) for r in results] == [
        ("MISS", "open-meteo"),
        ("MISS", "open-meteo"),
    ]
    assert await fake_open_meteo.acalls() == {"geocoding": 4, "forecast": 3}
