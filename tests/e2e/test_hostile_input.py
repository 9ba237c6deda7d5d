"""Hostile requests: size limits, header injection, echoed input, and a flood of names."""

from __future__ import annotations

import random
import socket
import string
from urllib.parse import quote

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

NEGATIVE_TTL_S = 60


def assert_json_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["status_code"] == status
    return body


async def test_a_path_and_query_over_2_kb_is_refused_with_a_json_414(start_app: StartApp) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        padded = await client.get("/weather", params={"city": "Boise", "pad": "x" * 2100})
        encoded = await client.get(f"/weather?city={'%41' * 700}")
        fine = await client.get("/weather", params={"city": "Boise", "pad": "x" * 1900})
    assert assert_json_error(padded, 414)["error"] == "uri_too_long"
    assert_json_error(encoded, 414)
    assert fine.status_code == 200


async def test_headers_over_16_kb_are_refused_with_a_json_431(start_app: StartApp) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        response = await client.get(
            "/weather", params={"city": "Boise"}, headers={"X-Big": "x" * 17_000}
        )
    assert_json_error(response, 431)


def raw_request(app: AppServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65_536)


async def test_a_request_line_too_long_for_the_parser_is_refused_and_the_worker_lives_on(
    start_app: StartApp,
) -> None:
    app = start_app()
    # Past ~64 KB uvicorn's parser refuses the request itself, before the app: its 400 is
    # JSON all the same (entrypoints/http/uvicorn_parser.py), and the worker serves on.
    reply = raw_request(
        app, b"GET /weather?city=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    async with httpx.AsyncClient(base_url=app.url) as client:
        after = await client.get("/healthz")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b"application/json" in reply
    assert after.status_code == 200


INJECTIONS = [
    "Boise%0D%0ASet-Cookie:%20stolen=1",
    "Boise%0AX-Injected:%201",
    "Boise%0DX-Injected:%201",
    "Boise%E2%80%A8X-Injected:%201",  # U+2028 line separator
    "Boise%C2%85X-Injected:%201",  # U+0085 next line
]


@pytest.mark.parametrize("near_cache_ttl", ["0", "1"])
async def test_a_line_break_in_the_city_never_reaches_a_response_header(
    start_app: StartApp, near_cache_ttl: str
) -> None:
    app = start_app({"NEAR_CACHE_TTL": near_cache_ttl})
    async with httpx.AsyncClient(base_url=app.url) as client:
        responses = [await client.get(f"/weather?city={city}") for city in INJECTIONS]
        valid = await client.get("/weather", params={"city": "Boise"})
    for response in responses:
        assert_json_error(response, 400)
        names = {name.lower() for name in response.headers}
        assert not names & {"set-cookie", "x-injected"}
        assert not any("\r" in v or "\n" in v for v in response.headers.values())
    # The city is never put in a header at all, valid or not.
    assert not any("boise" in value.lower() for value in valid.headers.values())


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "${jndi:ldap://evil/x}",
    "'; DROP TABLE cities; --",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\u202eevil",  # right-to-left override
    "a" * 401,
    "Zürich\x00",
]


async def test_error_bodies_never_echo_the_input_or_show_a_stack_trace(
    start_app: StartApp,
) -> None:
    app = start_app()
    async with httpx.AsyncClient(base_url=app.url) as client:
        answers = [(c, await client.get("/weather", params={"city": c})) for c in HOSTILE]
        answers += [(c, await client.get(f"/{quote(c)}")) for c in HOSTILE[:3]]
        answers += [("a&city=b", await client.get("/weather?city=a&city=%3Cb%3E"))]
        answers += [("<b>", await client.post("/weather?city=%3Cb%3E", content=b"<b>"))]
    for hostile, response in answers:
        assert 400 <= response.status_code < 500, (hostile, response.status_code)
        assert response.headers["content-type"].startswith("application/json")
        text = response.text
        assert hostile not in text and quote(hostile) not in text
        assert "<" not in text and "Traceback" not in text and 'File "' not in text


def random_names(count: int, seed: int = 5) -> list[str]:
    pick = random.Random(seed)
    return ["".join(pick.choices(string.ascii_lowercase, k=12)) for _ in range(count)]


async def test_a_flood_of_unknown_cities_leaves_only_small_keys_that_expire(
    start_app: StartApp, redis_client: Redis
) -> None:
    # What the flood stores is under test, so the per-client miss budget is off.
    app = start_app({"NEGATIVE_TTL": str(NEGATIVE_TTL_S), "UPSTREAM_MISSES_PER_CLIENT": "0"})
    longest = "\U00010437" * 100  # the longest city: 100 letters of 4 bytes each
    names = [*random_names(200), longest]
    async with httpx.AsyncClient(base_url=app.url) as client:
        statuses = {(await client.get("/weather", params={"city": n})).status_code for n in names}
    keys = await redis_client.keys("skycache:v2:*:weather")
    ttls_ms = [await redis_client.pttl(key) for key in keys]
    sizes = {key: await redis_client.memory_usage(key) for key in keys}
    assert statuses == {404}
    assert len(keys) == len(names)
    assert await redis_client.keys("skycache:v2:*:geo") == []  # unknown names store no location
    assert all(0 < ttl <= NEGATIVE_TTL_S * 1000 for ttl in ttls_ms)
    # Figures in docs/SECURITY.md: ~136 bytes a typical negative entry (it names its
    # provider), ~536 at most.
    longest_key = f"skycache:v2:{{{longest}}}:weather".encode()
    assert max(size for key, size in sizes.items() if key != longest_key) <= 144
    assert sizes[longest_key] <= 600
