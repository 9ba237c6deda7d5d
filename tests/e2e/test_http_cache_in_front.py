"""A real HTTP cache in front: Debian's nginx as a caching reverse proxy with no rule of
Skycache's own (no proxy_cache_valid: every lifetime comes from our Cache-Control), on
loopback. It absorbs repeats for as long as the entry is fresh, and serves the stale
window itself while Skycache refreshes."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.edge import Nginx, frame
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import stats_when
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("load")]

TTL_S = 3
ENV = {"WEATHER_TTL": str(TTL_S), "WEATHER_TTL_JITTER": "0", "METRICS_FLUSH_INTERVAL": "0.1"}
# A generic caching proxy: nothing in it knows Skycache, its routes or its lifetimes.
CACHING_PROXY = """
proxy_cache_path {cache} levels=1 keys_zone=api:1m use_temp_path=off;
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://127.0.0.1:{app_port};
        proxy_http_version 1.1;
        proxy_cache api;
        proxy_cache_lock on;
        proxy_cache_revalidate on;
        proxy_cache_background_update on;
        add_header X-Proxy-Cache $upstream_cache_status always;
    }}
}}
"""


@pytest.fixture
def cached(start_app: StartApp, edge_state: Path) -> Iterator[tuple[AppServer, str]]:
    app = start_app(ENV)
    port = free_port()
    config = edge_state / "nginx.conf"
    cache = edge_state / "cache"
    config.write_text(
        frame(edge_state, CACHING_PROXY.format(cache=cache, port=port, app_port=app.port))
    )
    with Nginx(config, edge_state, f"http://127.0.0.1:{port}") as nginx:
        yield app, nginx.url


async def weather_requests(app_url: str) -> int:
    """/weather requests Skycache answered, as its counters see them (hits and misses)."""
    stats = await stats_when(app_url, lambda _: True)
    return int(stats["cache_hits"] + stats["cache_misses"])


async def repeat(url: str, count: int, clients: int, pause_s: float) -> list[httpx.Response]:
    async def client_loop(client: httpx.AsyncClient, n: int) -> list[httpx.Response]:
        replies = []
        for _ in range(n):
            replies.append(await client.get("/weather", params={"city": "Boise"}))
            await asyncio.sleep(pause_s)
        return replies

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        per_client = await asyncio.gather(
            *(client_loop(client, count // clients) for _ in range(clients))
        )
    return [reply for replies in per_client for reply in replies]


async def test_1000_repeats_reach_skycache_at_most_twice_per_freshness_period(
    cached: tuple[AppServer, str],
) -> None:
    app, url = cached
    started = time.monotonic()
    replies = await repeat(url, 1000, clients=10, pause_s=0.02)
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.3)  # the app's counters are flushed every 0.1 s
    reached = await weather_requests(app.url)
    periods = elapsed / TTL_S
    print(
        f"\n1000 requests over {elapsed:.1f} s ({periods:.1f} freshness periods of {TTL_S} s): "
        f"{reached} reached Skycache; proxy: {Counter(r.headers['x-proxy-cache'] for r in replies)}"
    )
    assert Counter(r.status_code for r in replies) == {200: 1000}
    # At most twice for each period begun: an answer carries no Age and its max-age counts
    # from its own Date, so the proxy asks once when its copy turns stale (Skycache answers
    # stale, max-age=1, and refreshes) and once more a second later for the refreshed copy.
    assert reached <= 2 * math.ceil(periods) + 1, reached


async def test_the_proxy_serves_the_stale_window_while_skycache_refreshes(
    cached: tuple[AppServer, str], fake_open_meteo: FakeOpenMeteo
) -> None:
    _, url = cached
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        first = await client.get("/weather", params={"city": "Boise"})
        await fake_open_meteo.aset(latency_s=2.0)  # Skycache's refresh will take 2 s
        await asyncio.sleep(TTL_S + 1.2)  # nginx counts lifetimes in whole seconds
        started = time.monotonic()
        during = [await client.get("/weather", params={"city": "Boise"}) for _ in range(20)]
        took = time.monotonic() - started
    assert first.headers["x-proxy-cache"] == "MISS"
    assert {r.status_code for r in during} == {200}
    assert {r.headers["x-proxy-cache"] for r in during} <= {"STALE", "UPDATING", "HIT"}
    assert "STALE" in {r.headers["x-proxy-cache"] for r in during}
    assert took < 2.0  # nobody waited for the 2 s refresh
    assert {r.json()["temperature"] for r in during} == {first.json()["temperature"]}
