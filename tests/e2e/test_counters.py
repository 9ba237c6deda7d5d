"""The counters over the real service, Redis and the fake Open-Meteo, one scripted event at
a time: /stats says what the README says, and /metrics says the same numbers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.model.counters import CounterName
from domain.use_cases.stats import BY_PROVIDER
from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

ENV = {
    "NEAR_CACHE_TTL": "0",  # every answer goes through the use case that counts it
    "WEATHER_TTL": "1",
    "WEATHER_TTL_JITTER": "0",
    "UPSTREAM_RETRIES": "1",
    "BREAKER_FAILURES": "2",
    "BREAKER_RESET": "60",
}
Stats = Mapping[str, Any]


class Script:
    """Plays requests against one app and reports what each step moved in /stats."""

    def __init__(self, app: AppServer, fake: FakeOpenMeteo) -> None:
        self.client = httpx.AsyncClient(base_url=app.url, timeout=15)
        self.fake = fake
        self.stats: Stats = {}

    async def ask(self, city: str) -> tuple[int, str | None]:
        response = await self.client.get("/weather", params={"city": city})
        return response.status_code, response.headers.get("x-cache")

    async def moved(self, ready: Callable[[Stats], bool]) -> dict[str, Any]:
        """The counters that changed since the last step, once `ready(delta)` holds:
        counts reach Redis in batches, and a background refresh lands on its own."""
        deadline = time.monotonic() + 10
        while True:
            now = (await self.client.get("/stats")).json()
            delta = changes(self.stats, now)
            if ready(delta) or time.monotonic() > deadline:
                self.stats = now
                return delta
            await asyncio.sleep(0.1)


def changes(before: Stats, after: Stats) -> dict[str, Any]:
    moved: dict[str, Any] = {}
    for name, value in after.items():
        if isinstance(value, dict):
            delta = {k: v - before.get(name, {}).get(k, 0) for k, v in value.items()}
            if delta := {k: v for k, v in delta.items() if v}:
                moved[name] = delta
        elif name != "hit_ratio" and value != before.get(name, 0):
            moved[name] = value - before.get(name, 0)
    return moved


def call(attempts: int = 1) -> dict[str, Any]:
    """What one upstream call that went out adds, with its attempts."""
    return {
        "api_calls": 1,
        "api_attempts": attempts,
        "api_calls_by_provider": {"open-meteo": 1},
        "api_attempts_by_provider": {"open-meteo": attempts},
    }


def exactly(expected: dict[str, Any]) -> Callable[[Stats], bool]:
    return lambda delta: delta == expected


async def test_each_event_moves_the_counters_the_readme_says_and_metrics_agree(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app(ENV)
    script = Script(app, fake_open_meteo)
    steps: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    async def step(name: str, expected: dict[str, Any]) -> None:
        steps.append((name, expected, await script.moved(exactly(expected))))

    assert await script.ask("Boise") == (200, "MISS")
    await step("miss", {"cache_misses": 1, **call()})
    assert await script.ask("Boise") == (200, "HIT")
    await step("hit", {"cache_hits": 1, "avoided_api_calls": 1})
    assert await script.ask("Atlantis") == (404, "MISS")
    await step("unknown city", {"cache_misses": 1, **call()})
    assert await script.ask("Atlantis") == (404, "NEGATIVE")
    await step("negative", {"cache_hits": 1, "negative_hits": 1, "avoided_api_calls": 1})

    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    together = await asyncio.gather(*(script.ask("Denver") for _ in range(3)))
    await fake_open_meteo.aset(latency_s=0, endpoint="forecast")
    assert sorted(together) == [(200, "COALESCED")] * 2 + [(200, "MISS")]
    await step("coalesced", {"cache_misses": 3, "coalesced": 2, "avoided_api_calls": 2, **call()})

    await asyncio.sleep(1.1)  # Boise is stale now: served at once, refreshed behind
    assert await script.ask("Boise") == (200, "STALE")
    stale = {"cache_hits": 1, "stale_served": 1, "avoided_api_calls": 1}
    await step("stale, and its refresh", {**stale, **call()})

    await fake_open_meteo.aset(mode="error500", endpoint="forecast")
    assert (await script.ask("Paris"))[0] == 503
    await step(
        "failed miss, retried",
        {
            "cache_misses": 1,
            "upstream_errors": 1,
            "upstream_errors_by_provider": {"open-meteo": 1},
            **call(attempts=2),
        },
    )
    before = await fake_open_meteo.acalls()
    assert (await script.ask("Tulsa"))[0] == 503  # the two failures opened the breaker
    await step("refused by the breaker", {"cache_misses": 1, "upstream_errors": 1})
    assert await fake_open_meteo.acalls() == before

    wrong = [(name, want, got) for name, want, got in steps if got != want]
    assert not wrong, wrong
    assert script.stats["hit_ratio"] == 0.3  # 3 hits; 7 misses, the two 503s among them
    await script.client.aclose()
    await metrics_agree_with(app, script.stats)


async def metrics_agree_with(app: AppServer, stats: Stats) -> None:
    """/metrics reports each /stats counter under its own name, with the same value."""
    wanted = {f"skycache_{c.value}_total": stats[c.value] for c in CounterName}
    for counter in BY_PROVIDER:
        for provider, value in stats[f"{counter.value}_by_provider"].items():
            wanted[f"skycache_{counter.value}_by_provider_total/{provider}"] = value
    deadline = time.monotonic() + 10
    while True:  # Prometheus counts are written about once a second
        async with httpx.AsyncClient(base_url=app.url) as client:
            text = (await client.get("/metrics")).text
        seen = {
            f"{s.name}/{s.labels['provider']}" if "provider" in s.labels else s.name: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name.startswith("skycache_") and s.name.endswith("_total")
        }
        got = {name: seen.get(name, 0) for name in wanted}
        if got == wanted or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert got == wanted
