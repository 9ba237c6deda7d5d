"""/metrics and X-Cache on error answers, in one process over in-memory adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from adapters.observability.prometheus_instruments import Instruments
from domain.model.counters import CounterName
from domain.model.errors import UpstreamUnavailable
from domain.use_cases.stats import MEANINGS
from tests.support.app_client import memory_app_client
from tests.unit.fakes import FakeProvider


@pytest.fixture
def instruments() -> Instruments:
    return Instruments(multiprocess=False)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
async def client(
    provider: FakeProvider, instruments: Instruments
) -> AsyncIterator[AsyncTestClient]:
    async with memory_app_client(provider=provider, instruments=instruments) as test_client:
        yield test_client


async def test_an_unknown_city_is_a_404_miss_then_a_404_negative(client: AsyncTestClient) -> None:
    first = await client.get("/weather", params={"city": "Atlantis"})
    again = await client.get("/weather", params={"city": "Atlantis"})
    assert (first.status_code, first.headers["X-Cache"]) == (404, "MISS")
    assert (again.status_code, again.headers["X-Cache"]) == (404, "NEGATIVE")


async def test_an_upstream_failure_without_a_copy_is_a_503_miss(
    client: AsyncTestClient, provider: FakeProvider
) -> None:
    provider.failing = UpstreamUnavailable("forecast upstream answered 503")
    response = await client.get("/weather", params={"city": "Boise"})
    assert (response.status_code, response.headers["X-Cache"]) == (503, "MISS")


async def test_a_bad_city_says_nothing_about_the_cache(client: AsyncTestClient) -> None:
    response = await client.get("/weather", params={"city": "*"})
    assert response.status_code == 400
    assert "X-Cache" not in response.headers


async def test_metrics_show_the_stats_counters_and_the_provider_health(
    client: AsyncTestClient, provider: FakeProvider
) -> None:
    for _ in range(3):
        await client.get("/weather", params={"city": "Boise"})
    provider.failing = UpstreamUnavailable("down")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "skycache_cache_misses_total 1.0" in response.text
    assert "skycache_cache_hits_total 2.0" in response.text
    assert "skycache_provider_healthy 0.0" in response.text


async def test_metrics_speak_openmetrics_when_asked(client: AsyncTestClient) -> None:
    accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
    response = await client.get("/metrics", headers=accept)
    assert (
        response.headers["content-type"]
        == "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
    )
    assert response.text.rstrip().endswith("# EOF")


async def test_metrics_name_their_content_type_and_charset_once(client: AsyncTestClient) -> None:
    response = await client.get("/metrics")
    assert response.headers.get_list("content-type") == ["text/plain; version=0.0.4; charset=utf-8"]


async def test_every_stats_counter_says_in_its_help_text_what_it_counts(
    client: AsyncTestClient,
) -> None:
    text = (await client.get("/metrics")).text
    helps = dict(
        line.removeprefix("# HELP ").split(" ", 1)
        for line in text.splitlines()
        if line.startswith("# HELP skycache_")
    )
    for counter in CounterName:
        assert helps[f"skycache_{counter.value}_total"].startswith(MEANINGS[counter][:40])
    assert "retries included" in helps["skycache_api_attempts_by_provider_total"]
    assert "before any I/O" in helps["skycache_api_calls_total"]
