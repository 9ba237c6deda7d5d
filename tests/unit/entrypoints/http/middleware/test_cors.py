"""CORS over the whole ASGI app, fast path included: allowed origins can read every answer
(and its X-Cache, Age, ETag), others get no CORS headers, preflights are answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.limits import MAX_HEADER_BYTES, MAX_TARGET_BYTES
from entrypoints.settings import Settings, SettingsError
from tests.unit.fakes import FakeClock, FakeProvider

ALLOWED = "http://127.0.0.1:5173"


async def client_for(origins: str, near_ttl: str = "1") -> AsyncIterator[AsyncTestClient[Any]]:
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "CORS_ALLOW_ORIGINS": origins, "NEAR_CACHE_TTL": near_ttl}
    container.settings.override(providers.Object(Settings.from_env(env)))
    container.provider.override(providers.Object(FakeProvider()))
    container.clock.override(providers.Object(FakeClock()))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    async for each in client_for(f"{ALLOWED}, https://example.com"):
        yield each


async def test_an_allowed_origin_reads_the_route_and_the_fast_path_alike(
    client: AsyncTestClient[Any],
) -> None:
    answers = [
        await client.get("/weather", params={"city": "Boise"}, headers={"origin": ALLOWED})
        for _ in range(2)
    ]
    assert [a.headers["x-cache"] for a in answers] == ["MISS", "HIT"]  # route, fast path
    for answer in answers:
        assert answer.headers["access-control-allow-origin"] == ALLOWED
        assert answer.headers["vary"] == "Origin"
        exposed = answer.headers["access-control-expose-headers"]
        assert set(exposed.split(", ")) == {"Age", "ETag", "Retry-After", "X-Cache"}
        assert "access-control-allow-credentials" not in answer.headers


async def test_another_origin_gets_no_cors_headers_and_every_answer_varies_on_origin(
    client: AsyncTestClient[Any],
) -> None:
    other = await client.get(
        "/weather", params={"city": "Boise"}, headers={"origin": "http://evil.test"}
    )
    plain = await client.get("/weather", params={"city": "Boise"})
    for answer in (other, plain):
        assert answer.status_code == 200  # the browser, not the server, withholds it
        assert "access-control-allow-origin" not in answer.headers
        assert answer.headers["vary"] == "Origin"


async def test_a_preflight_is_answered_for_an_allowed_origin_only(
    client: AsyncTestClient[Any],
) -> None:
    asked = {
        "access-control-request-method": "GET",
        "access-control-request-headers": "if-none-match",
    }
    allowed = await client.options("/weather", headers={"origin": ALLOWED} | asked)
    refused = await client.options("/weather", headers={"origin": "http://evil.test"} | asked)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "GET" in allowed.headers["access-control-allow-methods"]
    assert "if-none-match" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    ("request_headers", "params", "status"),
    [
        ({}, {"city": "x" * (MAX_TARGET_BYTES + 1)}, 414),
        ({"x-filler": "y" * (MAX_HEADER_BYTES + 1)}, {"city": "Boise"}, 431),
        ({}, {"city": "x" * 1000}, 400),  # inside the limit: the route's own 400
    ],
)
async def test_answers_refused_before_routing_carry_cors_headers_and_vary(
    client: AsyncTestClient[Any],
    request_headers: dict[str, str],
    params: dict[str, str],
    status: int,
) -> None:
    for origin, allowed in ((ALLOWED, True), ("http://evil.test", False)):
        answer = await client.get(
            "/weather", params=params, headers=request_headers | {"origin": origin}
        )
        assert answer.status_code == status and answer.json()["status_code"] == status
        assert answer.headers["vary"] == "Origin"
        granted = answer.headers.get("access-control-allow-origin")
        assert granted == (ALLOWED if allowed else None)
        if allowed:
            assert "Retry-After" in answer.headers["access-control-expose-headers"]


async def test_without_cors_allow_origins_no_answer_carries_cors_headers() -> None:
    async for client in client_for(""):
        answer = await client.get("/weather", params={"city": "Boise"}, headers={"origin": ALLOWED})
        assert "access-control-allow-origin" not in answer.headers
        assert "vary" not in answer.headers


async def test_a_wildcard_allows_every_origin_without_credentials() -> None:
    async for client in client_for("*"):
        answer = await client.get("/weather", params={"city": "Boise"}, headers={"origin": ALLOWED})
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize(
    "origins",
    [
        "*, https://example.com",
        "example.com",
        "https://example.com/path",
        "ftp://x.test",
        "https://u@x.test",
    ],
)
def test_what_is_no_origin_is_refused_at_start_up(origins: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ALLOW_ORIGINS"):
        Settings.from_env({"CORS_ALLOW_ORIGINS": origins})


@pytest.mark.parametrize("near_ttl", ["1", "0"], ids=["near-cache hits", "shared-cache hits"])
async def test_fast_path_hits_share_a_start_message_that_cors_never_changes(near_ttl: str) -> None:
    # Within one second every fast-path hit (from the near cache, or from the shared cache
    # when it is off) sends the same start message: CORS headers added for one origin must
    # reach neither the next hit nor a request without an origin.
    async for client in client_for(f"{ALLOWED}, https://example.com", near_ttl):
        await cors_never_reaches_the_next_hit(client)


async def cors_never_reaches_the_next_hit(client: AsyncTestClient[Any]) -> None:
    params = {"city": "Boise"}
    await client.get("/weather", params=params)  # a miss: now cached
    first = await client.get("/weather", params=params, headers={"origin": ALLOWED})
    again = await client.get("/weather", params=params, headers={"origin": ALLOWED})
    plain = await client.get("/weather", params=params)
    assert [a.headers["x-cache"] for a in (first, again, plain)] == ["HIT"] * 3
    for answer in (first, again):
        assert answer.headers.get_list("access-control-allow-origin") == [ALLOWED]
        assert answer.headers.get_list("vary") == ["Origin"]
    assert "access-control-allow-origin" not in plain.headers
    assert plain.headers.get_list("vary") == ["Origin"]
