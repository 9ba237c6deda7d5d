"""What `skycache serve` decides before uvicorn starts: the worker count for the cache it
finds, and the one start-up line that says what is in force."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e]


def json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def startup_line(output: str) -> dict[str, object]:
    lines = [line for line in json_lines(output) if str(line["msg"]).startswith("starting on")]
    assert len(lines) == 1, output
    return lines[0]


async def test_without_redis_two_workers_become_one_and_stats_stay_consistent(
    start_app: StartApp,
) -> None:
    closed = f"redis://:pw-Unused-77@127.0.0.1:{free_port()}/0"
    app = start_app({"REDIS_URL": closed, "SKYCACHE_CACHE": "auto", "LOG_LEVEL": "info"}, workers=2)
    cities = ["Boise", "Denver", "Austin", "Boise", "Denver"]
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        for city in cities:
            assert (await client.get("/weather", params={"city": city})).status_code == 200
        # New connections each time, so that several workers (if there were) would answer.
        stats = []
        for _ in range(12):
            async with httpx.AsyncClient(base_url=app.url, timeout=10) as fresh:
                stats.append((await fresh.get("/stats")).json())
                health = (await fresh.get("/healthz")).json()
                assert health["cache"] == "memory"
    assert all(s == stats[0] for s in stats), stats
    assert stats[0]["api_calls"] == 3 and stats[0]["cache_hits"] == 2
    output = app.output()
    warnings = [line for line in json_lines(output) if "serving with 1 worker" in str(line["msg"])]
    assert len(warnings) == 1, output
    assert "not 2: the cache is in memory, per process" in str(warnings[0]["msg"])
    assert "does not answer" in str(warnings[0]["msg"])
    assert startup_line(output)["workers"] == 1
    assert "pw-Unused-77" not in output


async def test_the_start_up_line_names_provider_cache_workers_and_ttls(
    start_app: StartApp, redis_url: str
) -> None:
    env = {"LOG_LEVEL": "info", "WEATHER_TTL": "120", "NEAR_CACHE_TTL": "0.5"}
    app = start_app(env, workers=2)
    line = startup_line(app.output())
    assert line["level"] == "info"
    assert line["msg"] == f"starting on 127.0.0.1:{app.port}"
    assert line["providers"] == ["open-meteo"]
    assert (line["cache"], line["redis_url"], line["workers"]) == ("redis", redis_url, 2)
    assert (line["weather_ttl_s"], line["near_cache_ttl_s"]) == (120.0, 0.5)
    assert line["near_cache_size"] == 4096
