"""/status in headless Chromium under a little traffic: charts drawn, numbers as /stats says.

Two workers serve; a thread sends a bounded mix of hits, misses, stale answers and unknown
cities to 127.0.0.1 while the page polls. Once the traffic stops and the counters settle,
the numbers the page shows must be /stats' own. The screenshot is checked for content;
with UPDATE_DOCS_SCREENSHOTS=1 it also replaces docs/status.png, which the README shows."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import ROOT
from tests.support.chromium import Browser
from tests.support.fake_open_meteo.cities import HOT_CITIES
from tests.support.png import colour_spread

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHARTS = ["chart-ratio", "chart-outcomes", "chart-upstream", "chart-errors", "chart-latency"]
SHOWN = ["cache_hits", "cache_misses", "api_calls", "upstream_errors", "stale_served", "coalesced"]


def traffic(url: str, stop: threading.Event, *, max_requests: int = 3_000) -> int:
    """San Jose most, the other hot cities now and then, an unknown city sometimes."""
    sent = 0
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set() and sent < max_requests and time.monotonic() < deadline:
            city = HOT_CITIES[sent % len(HOT_CITIES)] if sent % 3 == 0 else "San Jose"
            if sent % 17 == 0:
                city = "Atlantis"
            client.get("/weather", params={"city": city})
            sent += 1
            time.sleep(0.01)
    return sent


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(tmp_path)
    yield opened
    opened.close()


def settled_stats(url: str) -> dict[str, Any]:
    """/stats once two reads a flush interval apart agree."""
    before = httpx.get(f"{url}/stats").json()
    while True:
        time.sleep(0.5)
        now = httpx.get(f"{url}/stats").json()
        if now == before:
            return now
        before = now


def shown(browser: Browser) -> dict[str, str]:
    return browser.evaluate(  # type: ignore[no-any-return]
        "Object.fromEntries([...document.querySelectorAll('[data-stat]')]"
        ".map(e => [e.dataset.stat, e.textContent]))"
    )


def test_the_status_page_draws_the_traffic_and_shows_what_stats_says(
    start_app: StartApp, browser: Browser, tmp_path: Path
) -> None:
    app = start_app(
        {"WEATHER_TTL": "2", "WEATHER_TTL_JITTER": "0", "METRICS_FLUSH_INTERVAL": "0.1"},
        workers=2,
    )
    stop = threading.Event()
    sender = threading.Thread(target=traffic, args=(app.url, stop), daemon=True)
    sender.start()
    try:
        browser.open(f"{app.url}/status?every=500")
        # Every chart has drawn points from several polls under traffic.
        browser.wait_for(
            "(c => c.length === 5 && c.every(e => Number(e.dataset.points) >= 8))"
            "([...document.querySelectorAll('canvas')])"
        )
        time.sleep(3)  # entries turn stale (WEATHER_TTL=2): STALE answers on the charts
    finally:
        stop.set()
        sender.join(timeout=30)
    points = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('canvas')]"
        ".map(c => [c.id, Number(c.dataset.points)]))"
    )
    assert set(points) == set(CHARTS) and min(points.values()) >= 8, points

    stats = settled_stats(app.url)
    expected = {name: str(stats[name]) for name in SHOWN} | {"hit_ratio": str(stats["hit_ratio"])}
    browser.wait_for(
        f"Object.entries({json.dumps(expected)}).every(([k, v]) => "
        "document.querySelector(`[data-stat='${k}']`).textContent === v)",
        timeout_s=15,
    )
    assert {k: v for k, v in shown(browser).items() if k in expected} == expected
    assert stats["cache_hits"] > stats["cache_misses"] > 0 and stats["stale_served"] > 0

    # The rest of the page: breakers and Redis up, the hot city first, a quota to compare.
    header = browser.evaluate("document.querySelector('header').textContent")
    assert "Redis up" in header and "open-meteo breaker closed" in header, header
    assert "open-meteo-gateway breaker closed" in header, header  # the gateway's, beside it
    top = browser.evaluate("document.querySelector('#top-cities td')?.textContent")
    assert top == "San Jose"
    assert browser.evaluate("document.querySelector('#quota').textContent").endswith("/ 600")

    shot = browser.screenshot(tmp_path / "status.png")
    colours, not_background = colour_spread(shot)
    assert colours >= 16 and not_background >= 0.05, (colours, not_background)
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "status.png")
