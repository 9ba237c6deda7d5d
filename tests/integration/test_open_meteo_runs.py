"""Open-Meteo's model runs against the fake upstream: each model's meta.json read within
bounds and kept for the refresh period; anything unreadable is None (the TTL applies)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.providers.http import HttpLimits
from adapters.providers.open_meteo_runs import MAX_META_BYTES, OpenMeteoModelRuns
from domain.model.model_runs import ModelRun, RunFreshness
from tests.support.fake_open_meteo import FakeOpenMeteo, closed_port_url
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

LIMITS = HttpLimits(timeout_s=5.0)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def runs_at(url: str, client: httpx.AsyncClient, clock: FakeClock) -> OpenMeteoModelRuns:
    urls = {"forecast": url, "air-quality": url}
    return OpenMeteoModelRuns(client, urls, LIMITS, clock, refresh_s=60.0)


async def test_each_models_last_run_is_read_from_its_meta_json(
    fake_gateway_upstream: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    fake_gateway_upstream.gateway_set(run_available_at=1_717_243_200)
    runs = runs_at(fake_gateway_upstream.url, client, FakeClock())
    assert await runs.runs("forecast", ["icon_d2"]) == [ModelRun(1_717_243_200, 3600)]
    assert len(await runs.runs("forecast", [])) == 3  # best_match: the global models
    assert len(await runs.runs("air-quality", [])) == 2  # CAMS global and Europe
    assert await runs.runs("forecast", ["unknown_model"]) == [None]  # its 404


async def test_a_run_is_kept_for_the_refresh_period_then_read_again(
    fake_gateway_upstream: FakeOpenMeteo, client: httpx.AsyncClient
) -> None:
    clock = FakeClock()
    runs = runs_at(fake_gateway_upstream.url, client, clock)
    first = await runs.runs("forecast", ["dwd_icon"])
    fake_gateway_upstream.gateway_set(run_available_at=int(time.time()) + 7)
    clock.advance(59.9)
    assert await runs.runs("forecast", ["dwd_icon"]) == first
    clock.advance(0.1)
    assert await runs.runs("forecast", ["dwd_icon"]) != first


async def test_an_unreachable_upstream_is_none(client: httpx.AsyncClient) -> None:
    runs = runs_at(closed_port_url(), client, FakeClock())
    assert await runs.runs("forecast", ["dwd_icon"]) == [None]


@pytest.mark.parametrize(
    "doc",
    [
        {"update_interval_seconds": 3600},  # no run time
        {"last_run_availability_time": 1_717_243_200},  # no interval
        {"last_run_availability_time": "soon", "update_interval_seconds": 3600},
        {"last_run_availability_time": 1_717_243_200, "update_interval_seconds": None},
        {"last_run_availability_time": 1, "update_interval_seconds": 3600, "pad": "x" * 20_000},
    ],
)
async def test_a_broken_or_oversized_meta_json_is_none(
    fake_gateway_upstream: FakeOpenMeteo, client: httpx.AsyncClient, doc: dict[str, Any]
) -> None:
    assert MAX_META_BYTES < 20_000
    fake_gateway_upstream.gateway_set(meta=doc)
    runs = runs_at(fake_gateway_upstream.url, client, FakeClock())
    assert await runs.runs("forecast", ["dwd_icon"]) == [None]


@pytest.mark.parametrize("offset_s", [3600.0, -30 * 86_400.0])
async def test_a_run_time_in_the_future_or_far_past_falls_back_to_the_ttl(
    fake_gateway_upstream: FakeOpenMeteo, client: httpx.AsyncClient, offset_s: float
) -> None:
    now = time.time()
    doc = {"last_run_availability_time": now + offset_s, "update_interval_seconds": 3600}
    fake_gateway_upstream.gateway_set(meta=doc)
    runs = await runs_at(fake_gateway_upstream.url, client, FakeClock()).runs("forecast", ["x"])
    assert RunFreshness(fallback_ttl_s=900.0).fresh_until(runs, now) == now + 900.0
