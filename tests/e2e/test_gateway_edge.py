"""The gateway behind the edge tier (`skycache edge-config`'s nginx): its paths are cached
by the whole query string and Skycache's own headers; the SDKs' POST passes through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.e2e.gateway import GatewayLog, gateway_env, points_query
from tests.support.edge import Edge
from tests.support.fake_open_meteo import FakeOpenMeteo

pytestmark = LOAD_TEST


@pytest.fixture
def edge(start_app: StartApp, edge_state: Path, fake_open_meteo: FakeOpenMeteo) -> Iterator[Edge]:
    apps = [start_app(gateway_env(fake_open_meteo)) for _ in range(2)]
    edge = Edge([f"127.0.0.1:{app.port}" for app in apps], edge_state).start()
    try:
        yield edge
    finally:
        edge.stop()


async def test_the_gateways_paths_are_cached_at_the_edge_by_their_whole_query(
    edge: Edge, fake_open_meteo: FakeOpenMeteo
) -> None:
    log = GatewayLog(fake_open_meteo)
    await log.reset()
    query = points_query([(52.52, 13.41)])
    other = points_query([(52.52, 13.41)], hourly="relative_humidity_2m")
    async with httpx.AsyncClient(base_url=edge.url, timeout=30) as client:
        first = await client.get(f"/v1/forecast?{query}")
        again = await client.get(f"/v1/forecast?{query}")
        different = await client.get(f"/v1/forecast?{other}")
        form = {"content-type": "application/x-www-form-urlencoded"}
        posted = await client.post("/v1/forecast", content=query, headers=form)
    assert (first.headers["x-edge-cache"], again.headers["x-edge-cache"]) == ("MISS", "HIT")
    assert again.content == first.content
    assert different.headers["x-edge-cache"] == "MISS"
    # A POST passes the edge uncached (no verdict of its own) and is a hit in Skycache.
    assert (posted.status_code, posted.headers["x-cache"]) == (200, "HIT")
    assert "x-edge-cache" not in posted.headers
    assert posted.content == first.content  # Skycache's own cache answered the POST
    assert len(await log.calls()) == 2
