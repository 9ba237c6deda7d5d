"""Cache admin over HTTP, in one process over in-memory adapters: tokens, purge, warm."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from domain.use_cases.admin import NOT_STORED
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.observed_app import route_of
from entrypoints.settings import Settings
from tests.support.ports import free_port
from tests.unit.fakes import FakeProvider

TOKEN = "s3cret-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def client_for(env: dict[str, str], provider: FakeProvider) -> AsyncIterator[AsyncTestClient]:
    container = Container()
    settings = Settings.from_env({"SKYCACHE_CACHE": "memory", "NEAR_CACHE_TTL": "0", **env})
    container.settings.override(providers.Object(settings))
    container.provider.override(providers.Object(provider))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        yield client


@pytest.fixture
def provider() -> FakeProvider:
    cities = {"san jose": 22.5, "boise": 3.0} | {f"town{c}": 10.0 for c in "abcdefghij"}
    return FakeProvider(cities)


@pytest.fixture
async def client(provider: FakeProvider) -> AsyncIterator[AsyncTestClient]:
    async with client_for({"ADMIN_TOKEN": TOKEN}, provider) as test_client:
        yield test_client


async def test_without_admin_token_the_routes_do_not_exist(provider: FakeProvider) -> None:
    async with client_for({}, provider) as client:
        purge = await client.delete("/admin/cache/Boise", headers=ADMIN)
        warm = await client.post("/admin/warm", json={"cities": ["Boise"]}, headers=ADMIN)
        schema = (await client.get("/schema/openapi.json")).json()
    assert (purge.status_code, warm.status_code) == (404, 404)
    assert purge.json()["status_code"] == 404
    assert not [path for path in schema["paths"] if path.startswith("/admin")]


async def test_with_a_token_the_routes_are_in_the_schema(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/admin/cache/{city}", "/admin/warm"} <= set(schema["paths"])
    refused = schema["paths"]["/admin/cache/{city}"]["delete"]["responses"]["503"]
    body = refused["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) >= {"purged", "not_purged"}


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("", 401),
        (f"Basic {TOKEN}", 401),
        ("Bearer", 401),
        ("Bearer ", 401),
        (f"Bearer {TOKEN}x", 403),
        (f"Bearer {TOKEN[:-1]}", 403),
        (f"Bearer {TOKEN.upper()}", 403),
        ("Bearer wrong", 403),
    ],
)
async def test_wrong_missing_and_almost_right_tokens_are_refused_and_change_nothing(
    client: AsyncTestClient, provider: FakeProvider, authorization: str | None, status: int
) -> None:
    await client.get("/weather", params={"city": "Boise"})
    headers = {} if authorization is None else {"Authorization": authorization}
    purge = await client.delete("/admin/cache/Boise", headers=headers)
    warm = await client.post("/admin/warm", json={"cities": ["San Jose"]}, headers=headers)
    for refused in (purge, warm):
        assert refused.status_code == status
        body = refused.json()
        assert body["status_code"] == status and body["error"] == f"http_{status}"
        assert TOKEN not in refused.text
    assert purge.headers.get("www-authenticate", "").startswith("Bearer") == (status == 401)
    again = await client.get("/weather", params={"city": "Boise"})
    assert again.headers["X-Cache"] == "HIT"  # not purged
    assert provider.calls == ["boise"]  # San Jose not warmed


async def test_a_purge_makes_the_next_request_a_miss_with_one_upstream_call(
    client: AsyncTestClient, provider: FakeProvider
) -> None:
    await client.get("/weather", params={"city": "San Jose"})
    purged = await client.delete("/admin/cache/san%20%20JOSE", headers=ADMIN)
    assert purged.status_code == 200 and purged.json() == {"purged": "san JOSE"}
    after = await client.get("/weather", params={"city": "San Jose"})
    assert after.headers["X-Cache"] == "MISS"
    assert provider.calls == ["san jose", "san jose"]


async def test_purging_a_city_never_cached_is_fine_and_a_bad_name_is_a_400(
    client: AsyncTestClient,
) -> None:
    assert (await client.delete("/admin/cache/Boise", headers=ADMIN)).status_code == 200
    bad = await client.delete("/admin/cache/%2A", headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_city"


async def test_warm_fetches_each_city_once_with_duplicates_and_requests_meanwhile(
    client: AsyncTestClient, provider: FakeProvider
) -> None:
    towns = [f"Town{c}" for c in "abcdefghij"]
    warming = asyncio.create_task(
        client.post("/admin/warm", json={"cities": [*towns, *towns]}, headers=ADMIN)
    )
    asking = [asyncio.create_task(client.get("/weather", params={"city": t})) for t in towns]
    warmed, answers = await warming, await asyncio.gather(*asking)
    assert warmed.status_code == 200
    outcomes = [w["outcome"] for w in warmed.json()["warmed"]]
    assert len(outcomes) == 20 and set(outcomes) <= {"MISS", "COALESCED", "HIT"}
    assert all(answer.status_code == 200 for answer in answers)
    assert sorted(provider.calls) == sorted(t.lower() for t in towns)  # once each


async def test_warm_reports_unknown_cities_and_refuses_bad_bodies(
    client: AsyncTestClient,
) -> None:
    warmed = await client.post("/admin/warm", json={"cities": ["Boise", "Atlantis"]}, headers=ADMIN)
    assert warmed.json()["warmed"] == [
        {"city": "Boise", "outcome": "MISS", "detail": None, "stored": True},
        {"city": "Atlantis", "outcome": "not_found", "detail": None, "stored": True},
    ]
    for body in ({"cities": []}, {"cities": ["x"] * 101}, {"town": ["Boise"]}, ["Boise"]):
        refused = await client.post("/admin/warm", json=body, headers=ADMIN)
        assert refused.status_code == 400 and refused.json()["status_code"] == 400
    bad_name = await client.post("/admin/warm", json={"cities": ["*"]}, headers=ADMIN)
    assert bad_name.status_code == 400 and bad_name.json()["error"] == "invalid_city"


async def test_metrics_token_puts_metrics_behind_its_own_bearer(provider: FakeProvider) -> None:
    async with client_for({"METRICS_TOKEN": "m-token", "ADMIN_TOKEN": TOKEN}, provider) as client:
        missing = await client.get("/metrics")
        admin = await client.get("/metrics", headers=ADMIN)
        right = await client.get("/metrics", headers={"Authorization": "Bearer m-token"})
    assert (missing.status_code, admin.status_code, right.status_code) == (401, 403, 200)
    assert "skycache_cache_hits_total" in right.text


def test_every_purge_is_one_route_label_in_the_metrics_whatever_the_city() -> None:
    assert {route_of(f"/admin/cache/{c}") for c in ("Boise", "x" * 90)} == {"/admin/cache"}
    assert route_of("/admin/warm") == "/admin/warm"


@pytest.fixture
async def redis_down_client(provider: FakeProvider) -> AsyncIterator[AsyncTestClient]:
    # SKYCACHE_CACHE=redis starts on a Redis that does not answer (a closed loopback port),
    # as a worker restarted during an outage does: the real client, failing for real.
    env = {"ADMIN_TOKEN": TOKEN, "SKYCACHE_CACHE": "redis"}
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    async with client_for(env, provider) as test_client:
        yield test_client


async def test_a_purge_while_redis_is_down_is_a_503_saying_what_was_and_was_not_purged(
    redis_down_client: AsyncTestClient, provider: FakeProvider
) -> None:
    served = await redis_down_client.get("/weather", params={"city": "Boise"})
    assert served.status_code == 200  # fetched, kept in this process's copy only
    purged = await redis_down_client.delete("/admin/cache/Boise", headers=ADMIN)
    assert purged.status_code == 503 and purged.headers["Retry-After"] == "5"
    assert purged.json() == {
        "status_code": 503,
        "error": "shared_cache_unavailable",
        "detail": "the shared cache did not answer: purge again once it does",
        "city": "Boise",
        "purged": ["this process's copies"],
        "not_purged": ["the shared cache (Redis), read by every worker and instance"],
    }
    # What it says was purged was: the process's copy no longer answers the outage.
    again = await redis_down_client.get("/weather", params={"city": "Boise"})
    assert again.headers["X-Cache"] == "MISS" and provider.calls == ["boise", "boise"]


async def test_a_warm_while_redis_is_down_says_nothing_reached_the_shared_cache(
    redis_down_client: AsyncTestClient, provider: FakeProvider
) -> None:
    warmed = await redis_down_client.post(
        "/admin/warm", json={"cities": ["Boise", "Atlantis"]}, headers=ADMIN
    )
    assert warmed.status_code == 200
    assert warmed.json()["warmed"] == [
        {"city": city, "outcome": outcome, "detail": NOT_STORED, "stored": False}
        for city, outcome in (("Boise", "MISS"), ("Atlantis", "not_found"))
    ]
    assert provider.calls == ["boise", "atlantis"]  # fetched all the same
