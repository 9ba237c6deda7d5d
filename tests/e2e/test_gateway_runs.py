"""FORECAST_FRESHNESS=model-runs over two processes and Redis: a location fetched before a
new model run stays fresh until that run is available plus the margin, is refreshed then,
once, and then serves the new run's values."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

HOUR = 3600  # the fake's update_interval_seconds
MARGIN_S = 2
NEXT_RUN_IN_S = 4


@pytest.fixture
async def log(fake_open_meteo: FakeOpenMeteo) -> GatewayLog:
    gateway = GatewayLog(fake_open_meteo)
    await gateway.reset()
    return gateway


async def has_calls(log: GatewayLog, count: int) -> bool:
    return len(await log.calls()) >= count


def max_age(answer: httpx.Response) -> int:
    found = re.search(r"max-age=(\d+)", answer.headers["cache-control"])
    assert found is not None
    return int(found[1])


async def test_a_new_model_run_is_served_after_its_margin_and_not_before(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, log: GatewayLog
) -> None:
    env = {
        **gateway_env(fake_open_meteo),
        "FORECAST_FRESHNESS": "model-runs",
        "MODEL_RUN_MARGIN": str(MARGIN_S),
        "MODEL_RUN_REFRESH": "1",
        "FORECAST_TTL": "600",  # the fallback: longer than the test, so runs decide
        "WEATHER_TTL_JITTER": "0",
    }
    one, two = start_app(env).url, start_app(env).url
    started = time.time()
    due = started + NEXT_RUN_IN_S + MARGIN_S  # the next run's time plus the margin
    await log.control(run_available_at=int(started) - HOUR + NEXT_RUN_IN_S)
    query = points_query([(52.52, 13.41)])
    async with httpx.AsyncClient(timeout=30) as client:
        first = await client.get(f"{one}/v1/forecast?{query}")
        await log.control(new_run=True)  # the run is out upstream; our entry is still fresh
        before = await client.get(f"{two}/v1/forecast?{query}")
        answered_before_due = time.time() < due
        await asyncio.sleep(max(due - time.time(), 0) + 0.2)
        stale = await client.get(f"{two}/v1/forecast?{query}")
        await eventually(lambda: has_calls(log, 2), 10, "the refresh after the margin")
        # The upstream has answered the refresh; its parts land in the store just after.
        answers: list[httpx.Response] = []

        async def stored() -> bool:
            answers.append(await client.get(f"{one}/v1/forecast?{query}"))
            return answers[-1].headers["x-cache"] != "STALE"

        await eventually(stored, 10, "the refresh's answer in the store")
        fresh = answers[-1]
    assert first.headers["x-cache"] == "MISS"
    assert 0 < max_age(first) <= NEXT_RUN_IN_S + MARGIN_S  # fresh until the run + margin
    if answered_before_due:  # on a starved machine the request itself may take seconds
        assert (before.headers["x-cache"], before.content) == ("HIT", first.content)
    assert (stale.headers["x-cache"], stale.content) == ("STALE", first.content)
    assert len(await log.calls()) == 2  # the fetch and one refresh, across both processes
    upstream_now = await log.direct("/v1/forecast", query)
    assert (fresh.headers["x-cache"], fresh.content) == ("HIT", upstream_now.content)
    assert fresh.content != first.content  # the new run's values
    assert max_age(fresh) > 600  # until the run after, not the fixed TTL
