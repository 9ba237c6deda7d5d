"""A request refused 429 too_many_misses needed a fetch: it is a miss, in /stats and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.settings import Settings
from tests.unit.fakes import FakeProvider

MISSES = 2  # UPSTREAM_MISSES_PER_CLIENT, a minute
KNOWN = {"boise": 3.0, "eugene": 12.0, "topeka": 8.0}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    container = Container()
    env = {"SKYCACHE_CACHE": "memory", "NEAR_CACHE_TTL": "0"}
    settings = Settings.from_env(env | {"UPSTREAM_MISSES_PER_CLIENT": f"{MISSES}/minute"})
    container.settings.override(providers.Object(settings))
    container.provider.override(providers.Object(FakeProvider(KNOWN)))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as test_client:
        yield test_client


def counter(exposition: str, name: str) -> float:
    (value,) = [
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name
    ]
    return value


async def test_refused_misses_count_as_misses_and_stats_and_metrics_agree(
    client: AsyncTestClient,
) -> None:
    names = ["Boise", "Eugene", "Topeka", "Atlantis"]  # two misses allowed, then refusals
    answers = [await client.get("/weather", params={"city": name}) for name in names]
    again = await client.get("/weather", params={"city": "Boise"})  # a hit, never refused

    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert {a.json()["error"] for a in answers[2:]} == {"too_many_misses"}
    assert again.status_code == 200 and again.headers["X-Cache"] == "HIT"
    stats = (await client.get("/stats")).json()
    # Every /weather request is one hit or one miss: 5 requests, 1 hit, 4 misses.
    assert (stats["cache_hits"], stats["cache_misses"]) == (1, 4)
    assert stats["upstream_errors"] == 0 and stats["api_calls"] == 2
    metrics = (await client.get("/metrics")).text
    assert counter(metrics, "skycache_cache_misses_total") == stats["cache_misses"]
    assert counter(metrics, "skycache_cache_hits_total") == stats["cache_hits"]
