"""Unknown cities: one geocoding call however many ask, then 404s from the cache."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import burst, stats_when, warm_up, weather_target

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

WARM_UP = 200
COUNTERS = ("api_calls", "cache_hits", "cache_misses", "coalesced", "negative_hits")


async def test_200_requests_for_an_unknown_city_make_one_geocoding_call(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.1"}
    apps = [start_app(env), start_app(env)]
    urls, atlantis = [app.url for app in apps], weather_target("Atlantis")
    await warm_up(urls, weather_target("Miami"), WARM_UP)
    await fake_open_meteo.areset()
    before = await stats_when(urls[0], lambda s: s["cache_hits"] + s["cache_misses"] == WARM_UP)
    await fake_open_meteo.aset(latency_s=0.3, endpoint="geocoding")  # so they all overlap
    async with asyncio.timeout(30):
        stampede = await burst(urls, atlantis, 200)
        repeats = await burst(urls, atlantis, 50)
    assert Counter(r.status for r in stampede + repeats) == {404: 250}
    assert {r.json()["error"] for r in stampede + repeats} == {"city_not_found"}
    assert await fake_open_meteo.acalls() == {"geocoding": 1, "forecast": 0}
    after = await stats_when(
        urls[0], lambda s: s["cache_hits"] + s["cache_misses"] == WARM_UP + 250
    )
    delta = {name: after[name] - before[name] for name in COUNTERS}
    # One fetch; the rest shared it, or found the negative entry it left behind.
    assert delta["api_calls"] == 1
    assert delta["cache_misses"] == 1 + delta["coalesced"]
    assert delta["negative_hits"] == delta["cache_hits"] >= 50
