"""/status and /status/data over in-memory adapters; STATUS_PAGE=false removes both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dependency_injector import providers
from litestar.testing import AsyncTestClient

from adapters.observability.prometheus_instruments import Instruments
from adapters.resilience.protection import Protection
from adapters.resilience.protection_config import ProtectionConfig
from adapters.system_clock import SystemClock
from domain.model.errors import UpstreamUnavailable
from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.settings import Settings
from tests.unit.fakes import FakeProvider

Client = Callable[..., AsyncIterator[AsyncTestClient]]


@asynccontextmanager
async def client_for(
    env: dict[str, str], provider: FakeProvider | None = None, gateway: Protection | None = None
) -> AsyncIterator[AsyncTestClient]:
    container = Container()
    container.settings.override(
        providers.Object(Settings.from_env({"SKYCACHE_CACHE": "memory", **env}))
    )
    container.provider.override(providers.Object(provider or FakeProvider()))
    if gateway is not None:
        container.gateway_protection.override(providers.Object(gateway))
    container.instruments.override(providers.Object(Instruments(multiprocess=False)))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        yield client


async def test_the_page_is_one_html_file_whose_policy_allows_only_its_own_code() -> None:
    async with client_for({}) as client:
        page = await client.get("/status")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "script-src 'sha256-" in policy and "unsafe" not in policy
    # Nothing to fetch from anywhere: no src or href in the page, only the JSON it polls.
    assert " src=" not in page.text and "href=" not in page.text
    assert 'fetch("/status/data"' in page.text


async def test_the_data_carries_stats_outcomes_and_upstream_totals() -> None:
    async with client_for({"UPSTREAM_MAX_PER_MINUTE": "90"}) as client:
        for _ in range(3):
            await client.get("/weather", params={"city": "Boise"})
        await client.get("/weather", params={"city": "*"})
        data = (await client.get("/status/data")).json()
        stats = (await client.get("/stats")).json()
    assert data["stats"] == stats
    assert data["requests"]["MISS"] == 1 and data["requests"]["HIT"] == 2
    assert data["requests"][""] == 1  # the bad name: no cache outcome
    assert data["statuses"] == {"2xx": 3, "3xx": 0, "4xx": 1, "5xx": 0}
    # +Inf holds every timed request: the miss and the bad name; fast-path hits are untimed.
    assert data["latency"][-1] == [None, 2]
    assert data["top_cities"] == [{"city": "Boise", "requests": 3}]
    assert data["quota_per_minute"] == {"open-meteo": 90}
    assert data["redis"] == {"cache": "memory", "expected": False, "up": None}
    assert data["provider_ok"] is True


async def test_metrics_export_the_quota_and_no_redis_gauge_in_memory_mode() -> None:
    provider = FakeProvider()
    async with client_for({"UPSTREAM_MAX_PER_MINUTE": "90"}, provider) as client:
        provider.failing = UpstreamUnavailable("down")
        text = (await client.get("/metrics")).text
    assert 'skycache_upstream_quota_per_minute{provider="open-meteo"} 90.0' in text
    assert "skycache_provider_healthy 0.0" in text
    assert "skycache_redis_up" not in text


async def test_the_gateways_breaker_is_shown_beside_the_weather_providers() -> None:
    gateway = Protection("open-meteo", ProtectionConfig(breaker_failures=1), clock=SystemClock())
    async with client_for({}, gateway=gateway) as client:
        closed = (await client.get("/status/data")).json()["breakers"]
        gateway.breaker.failed(UpstreamUnavailable("forecast gateway upstream answered 500"))
        opened = (await client.get("/status/data")).json()["breakers"]
        text = (await client.get("/metrics")).text
    assert closed == {"open-meteo": "closed", "open-meteo-gateway": "closed"}
    assert opened == {"open-meteo": "closed", "open-meteo-gateway": "open"}  # /weather's apart
    assert 'skycache_breaker_open{breaker="open-meteo-gateway"} 1.0' in text
    assert 'skycache_breaker_open{breaker="open-meteo"} 0.0' in text


async def test_status_page_false_leaves_no_route_and_nothing_in_the_schema() -> None:
    async with client_for({"STATUS_PAGE": "false"}) as client:
        page = await client.get("/status")
        data = await client.get("/status/data")
        schema = (await client.get("/schema/openapi.json")).json()
    assert (page.status_code, data.status_code) == (404, 404)
    assert page.json()["status_code"] == 404
    assert not [path for path in schema["paths"] if path.startswith("/status")]


async def test_neither_route_is_in_the_schema_which_documents_the_api() -> None:
    async with client_for({}) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        data = await client.get("/status/data")
    assert data.status_code == 200
    assert not [path for path in schema["paths"] if path.startswith("/status")]
