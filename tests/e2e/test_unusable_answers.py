"""A payload unusable for one city is that city's problem: a 502 remembered briefly, the
breaker and /healthz untouched; a null optional field is still weather."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Fewer failures than cities: were unusable answers counted, the breaker would open.
ENV = {"NEAR_CACHE_TTL": "0", "BREAKER_FAILURES": "3", "UNUSABLE_TTL": "30"}
FIVE = ["Boise", "Topeka", "Eugene", "Portland", "Fresno"]


@pytest.fixture
async def client(start_app: StartApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of one service process started with ENV."""
    app = start_app(ENV)
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        yield client


async def weather(client: httpx.AsyncClient, city: str) -> httpx.Response:
    return await client.get("/weather", params={"city": city})


@pytest.mark.parametrize(
    ("mode", "field"), [("null_humidity", "humidity"), ("null_weather_code", "description")]
)
async def test_a_null_humidity_or_weather_code_is_a_200_with_that_field_null(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, mode: str, field: str
) -> None:
    await fake_open_meteo.aset(mode=mode, endpoint="forecast")
    fetched = [await weather(client, city) for city in FIVE]
    cached = [await weather(client, city) for city in FIVE]  # the fast path's encoder
    health = (await client.get("/healthz")).json()

    for response in fetched + cached:
        assert response.status_code == 200, response.text
        assert response.json()[field] is None
        assert isinstance(response.json()["temperature"], float)
    assert {r.headers["x-cache"] for r in cached} == {"HIT"}
    assert health["provider_ok"] is True


async def test_a_float_weather_code_is_read_as_its_whole_code(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo
) -> None:
    await fake_open_meteo.aset(mode="float_code", endpoint="forecast")  # 3.0
    response = await weather(client, "Boise")
    assert response.status_code == 200
    assert response.json()["description"] == "Overcast"


UNUSABLE = {
    "missing temperature": {"mode": "missing_temperature", "endpoint": "forecast"},
    "null temperature": {"mode": "null_temperature", "endpoint": "forecast"},
    "5000 degrees": {"mode": "hot", "endpoint": "forecast"},
    "forecast 400 for the point": {"mode": "error400", "endpoint": "forecast"},
    "a 500-character name": {"mode": "long_name", "endpoint": "geocoding"},
}


@pytest.mark.parametrize("fault", UNUSABLE)
async def test_five_cities_with_unusable_answers_get_502s_remembered_and_the_breaker_stays_closed(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, fault: str
) -> None:
    await fake_open_meteo.aset(**UNUSABLE[fault], only=FIVE)
    first = [await weather(client, city) for city in FIVE]
    spent = sum((await fake_open_meteo.acalls()).values())
    again = [await weather(client, city) for city in FIVE]
    after = sum((await fake_open_meteo.acalls()).values())
    health = (await client.get("/healthz")).json()
    other = await weather(client, "Boston")

    for response in first + again:
        assert response.status_code == 502, response.text
        assert response.json()["error"] == "upstream_bad_response"
        assert 1 <= int(response.headers["retry-after"]) <= 30
    assert {r.headers["x-cache"] for r in first} == {"MISS"}
    assert {r.headers["x-cache"] for r in again} == {"HIT"}
    assert after == spent, "a remembered unusable answer cost an upstream call"
    assert health["provider_ok"] is True
    assert other.status_code == 200  # the breaker did not open for anyone else


async def test_an_unusable_answer_is_asked_again_once_its_short_ttl_has_passed(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app({**ENV, "UNUSABLE_TTL": "1"})
    await fake_open_meteo.aset(mode="missing_temperature", endpoint="forecast")
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        broken = await weather(client, "Boise")
        await fake_open_meteo.aset(mode="ok")
        await asyncio.sleep(1.2)
        mended = await weather(client, "Boise")
    assert broken.status_code == 502
    assert mended.status_code == 200, (mended.text, mended.headers)
    assert mended.headers["x-cache"] == "MISS"


@pytest.mark.parametrize("mode", ["error_200", "empty_object"])
async def test_an_odd_geocoding_200_is_a_502_that_caches_nothing(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo, redis_client: Redis, mode: str
) -> None:
    await fake_open_meteo.aset(mode=mode, endpoint="geocoding")
    odd = [await weather(client, "Boise") for _ in range(3)]
    keys = await redis_client.keys("*boise*")
    health = (await client.get("/healthz")).json()
    await fake_open_meteo.aset(mode="ok")
    fine = await weather(client, "Boise")

    for response in odd:
        assert response.status_code == 502, response.text
        assert response.headers["x-cache"] == "MISS"
    assert (await fake_open_meteo.acalls())["geocoding"] == 4  # each one asked again
    assert keys == []  # not an unknown city, not an unusable one: nothing
    assert health["provider_ok"] is True
    assert fine.status_code == 200


async def test_an_unknown_city_in_the_documented_shape_is_still_a_remembered_404(
    client: httpx.AsyncClient, fake_open_meteo: FakeOpenMeteo
) -> None:
    answers = [await weather(client, "Nowhereville") for _ in range(2)]
    assert [r.status_code for r in answers] == [404, 404]
    assert answers[1].headers["x-cache"] == "NEGATIVE"
    assert (await fake_open_meteo.acalls())["geocoding"] == 1
