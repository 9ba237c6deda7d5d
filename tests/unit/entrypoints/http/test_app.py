"""The HTTP layer over in-memory adapters: statuses, headers and JSON error bodies."""

import gc
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from domain.model.errors import (
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamTimedOut,
    UpstreamUnavailable,
    WaitTimedOut,
)
from entrypoints.http.app import YOUNG_GC_THRESHOLD
from tests.support.app_client import memory_app_client
from tests.unit.fakes import FakeProvider

REQUIRED = {"temperature": float, "humidity": (int, float), "description": str, "city": str}


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
async def client(provider: FakeProvider) -> AsyncIterator[AsyncTestClient]:
    async with memory_app_client(provider=provider) as test_client:
        yield test_client


async def test_a_serving_app_freezes_what_it_opened_and_collects_young_objects_less_often(
    client: AsyncTestClient,
) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_GC_THRESHOLD > 700


async def test_weather_answers_the_four_required_fields(client: AsyncTestClient) -> None:
    response = await client.get("/weather", params={"city": "San Jose"})
    assert response.status_code == 200
    body = response.json()
    for name, kind in REQUIRED.items():
        assert isinstance(body[name], kind), name
    assert body["city"] == "San Jose"
    assert body["temperature"] == 22.5
    assert body["stale"] is False
    assert response.headers["X-Cache"] == "MISS"
    again = await client.get("/weather", params={"city": "san  jose"})
    assert again.headers["X-Cache"] == "HIT"
    assert "Date" in again.headers and "Age" not in again.headers


async def test_stats_count_hits_and_misses(client: AsyncTestClient) -> None:
    empty = (await client.get("/stats")).json()
    assert empty["hit_ratio"] is None
    for _ in range(4):
        await client.get("/weather", params={"city": "Boise"})
    stats = (await client.get("/stats")).json()
    assert stats["cache_misses"] == 1
    assert stats["cache_hits"] == 3
    assert stats["api_calls"] == 1
    assert stats["avoided_api_calls"] == 3
    assert stats["hit_ratio"] == 0.75


async def test_healthz_reports_no_redis_in_memory_mode(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"redis_ok": False, "provider_ok": True, "cache": "memory"}


async def test_an_unknown_city_is_a_json_404(client: AsyncTestClient) -> None:
    response = await client.get("/weather", params={"city": "Atlantis"})
    assert response.status_code == 404
    assert response.json()["error"] == "city_not_found"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"city": ""},
        {"city": "x" * 10_000},
        {"city": "San\r\nJose"},
        {"city": "San\x00Jose"},
        {"city": "*"},
        {"city": "<script>alert(1)</script>"},
    ],
)
async def test_bad_cities_get_a_json_4xx_that_does_not_echo_them(
    client: AsyncTestClient, provider: FakeProvider, params: dict[str, str]
) -> None:
    response = await client.get("/weather", params=params)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == response.status_code
    assert "Traceback" not in response.text
    if params.get("city"):
        assert params["city"] not in response.text
    assert provider.calls == []


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UpstreamUnavailable("forecast upstream answered 503"), 503, "upstream_unavailable"),
        (UpstreamRateLimited("quota", retry_after_s=60), 503, "upstream_rate_limited"),
        (UpstreamBadResponse("forecast upstream sent invalid JSON"), 502, "upstream_bad_response"),
        (UpstreamTimedOut("forecast upstream timed out"), 503, "upstream_unavailable"),
        (WaitTimedOut("timed out waiting for another's fetch"), 503, "upstream_wait_timed_out"),
    ],
)
async def test_upstream_failures_without_a_copy_are_json_5xx_never_500(
    client: AsyncTestClient,
    provider: FakeProvider,
    error: UpstreamUnavailable,
    status: int,
    code: str,
) -> None:
    provider.failing = error
    response = await client.get("/weather", params={"city": "San Jose"})
    assert response.status_code == status
    assert response.json()["error"] == code
    assert int(response.headers["Retry-After"]) >= 1


async def test_unknown_routes_and_methods_answer_json(client: AsyncTestClient) -> None:
    missing = await client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404
    wrong = await client.post("/weather")
    assert wrong.status_code == 405
    assert wrong.json()["status_code"] == 405


async def test_the_openapi_schema_describes_the_endpoints(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/weather", "/stats", "/healthz"} <= set(schema["paths"])
