"""The gateway's HTTP slice over in-memory adapters and a fake upstream: GET and the SDKs'
form POST, Open-Meteo's 400 shape, caching headers and 304."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from tests.support.app_client import memory_app_client
from tests.unit.fakes import FakeClock
from tests.unit.gateway_fakes import REFUSAL, FakeUpstream, gateway_over

BERLIN = b'{"latitude":52.52,"longitude":13.41}'
PARIS = b'{"latitude":48.86,"longitude":2.35}'


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[AsyncTestClient]:
    clock = FakeClock(now=time.time())
    serve = gateway_over(MemoryPartStore(clock=clock), MemoryLock(clock=clock), upstream, clock)
    async with memory_app_client(serve_gateway=serve) as test_client:
        yield test_client


async def test_a_get_is_answered_with_the_upstreams_bytes_and_a_repeat_is_a_hit(
    client: AsyncTestClient, upstream: FakeUpstream
) -> None:
    query = {"latitude": "52.52", "longitude": "13.41", "hourly": "temperature_2m"}
    first = await client.get("/v1/forecast", params=query)
    again = await client.get("/v1/forecast", params=query)
    assert (first.status_code, first.content, first.headers["x-cache"]) == (
        200,
        b"[" + BERLIN + b"]",
        "MISS",
    )
    assert first.headers["content-type"].startswith("application/json")
    assert (again.content, again.headers["x-cache"]) == (first.content, "HIT")
    assert len(upstream.calls) == 1


async def test_the_sdks_form_post_with_repeated_keys_is_several_locations(
    client: AsyncTestClient, upstream: FakeUpstream
) -> None:
    form = "latitude=52.52&latitude=48.86&longitude=13.41&longitude=2.35&hourly=temperature_2m"
    answer = await client.post(
        "/v1/forecast",
        content=form,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert answer.content == b"[" + BERLIN + b"," + PARIS + b"]"
    assert answer.headers["x-cache-locations"] == "hit=0 miss=2 stale=0"
    assert [len(call) for call in upstream.calls] == [2]


async def test_a_bad_request_is_open_meteos_400_with_no_upstream_call(
    client: AsyncTestClient, upstream: FakeUpstream
) -> None:
    for query in (
        {"latitude": "91", "longitude": "0"},
        {"latitude": "1", "longitude": "1", "nope": "1"},
    ):
        answer = await client.get("/v1/forecast", params=query)
        body = answer.json()
        assert answer.status_code == 400
        assert body["error"] is True and body["reason"]
    assert upstream.calls == []


async def test_the_upstreams_refusal_is_passed_on_and_remembered(
    client: AsyncTestClient, upstream: FakeUpstream
) -> None:
    upstream.refusing = True
    query = {"latitude": "52.52", "longitude": "13.41", "hourly": "temperature_2m"}
    first = await client.get("/v1/forecast", params=query)
    again = await client.get("/v1/forecast", params=query)
    assert (first.status_code, first.content, first.headers["x-cache"]) == (400, REFUSAL, "MISS")
    assert (again.status_code, again.content, again.headers["x-cache"]) == (
        400,
        REFUSAL,
        "NEGATIVE",
    )
    assert len(upstream.calls) == 1


async def test_etag_and_last_modified_answer_304(client: AsyncTestClient) -> None:
    query = {"latitude": "52.52", "longitude": "13.41", "hourly": "pm10"}
    first = await client.get("/v1/air-quality", params=query)
    tag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    by_tag = await client.get("/v1/air-quality", params=query, headers={"if-none-match": tag})
    by_date = await client.get(
        "/v1/air-quality",
        params=query,
        headers={"if-modified-since": first.headers["last-modified"]},
    )
    assert (by_tag.status_code, by_tag.content, by_tag.headers["etag"]) == (304, b"", tag)
    assert by_date.status_code == 304
