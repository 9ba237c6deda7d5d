"""Cache admin against real processes: two instances on one Redis, the fake Open-Meteo.

A purge on one instance is a miss with one upstream call everywhere once the near caches
(NEAR_CACHE_TTL, 1 s) let go; a warm of 20 cities makes 20 forecast calls however many
duplicate requests run meanwhile; the CLI does the same; the token never reaches a log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import ROOT, AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import CITIES
from tests.support.redis_server import LocalRedisServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TOKEN = "e2e-admin-token-7f3a9c"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
NEAR_TTL_S = 1.0
CLEAR = 0  # WMO code 0: "Clear sky"
OVERCAST = 3


def log_of(app: AppServer) -> str:
    return (ROOT / ".pytest_cache" / f"app-{app.port}.log").read_text()


def weather(url: str, city: str) -> httpx.Response:
    return httpx.get(f"{url}/weather", params={"city": city}, timeout=10)


def test_a_purge_on_one_instance_is_a_miss_with_one_upstream_call_on_every_instance(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = {"ADMIN_TOKEN": TOKEN, "LOG_LEVEL": "info"}
    one, two = start_app(env), start_app(env)
    fake_open_meteo.set(weather_code=CLEAR)
    assert weather(one.url, "Boise").json()["description"] == "Clear sky"
    assert weather(two.url, "Boise").headers["X-Cache"] == "HIT"  # both hold it now
    fake_open_meteo.set(weather_code=OVERCAST)
    before = fake_open_meteo.calls()["forecast"]

    purged = httpx.delete(f"{one.url}/admin/cache/Boise", headers=ADMIN, timeout=10)
    assert purged.status_code == 200
    time.sleep(NEAR_TTL_S + 0.2)
    answers = [weather(url, "Boise") for url in (two.url, one.url, two.url)]

    assert [a.headers["X-Cache"] for a in answers] == ["MISS", "HIT", "HIT"]
    assert {a.json()["description"] for a in answers} == {"Overcast"}
    assert fake_open_meteo.calls()["forecast"] == before + 1
    for app in (one, two):  # the token is in no log line; the purge is
        assert TOKEN not in log_of(app)
    assert "admin purge" in log_of(one)


def test_wrong_tokens_purge_nothing_and_are_not_logged(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app({"ADMIN_TOKEN": TOKEN})
    weather(app.url, "Boise")
    for header in ({}, {"Authorization": "Bearer " + TOKEN[:-1]}, {"Authorization": TOKEN}):
        refused = httpx.delete(f"{app.url}/admin/cache/Boise", headers=header, timeout=10)
        assert refused.status_code in (401, 403) and refused.json()["status_code"] in (401, 403)
    assert weather(app.url, "Boise").headers["X-Cache"] == "HIT"
    assert TOKEN[:-1] not in log_of(app)


def test_without_admin_token_the_routes_are_absent(start_app: StartApp) -> None:
    app = start_app()
    gone = httpx.delete(f"{app.url}/admin/cache/Boise", headers=ADMIN, timeout=10)
    schema = httpx.get(f"{app.url}/schema/openapi.json", timeout=10).json()
    assert gone.status_code == 404 and gone.json()["status_code"] == 404
    assert not [path for path in schema["paths"] if path.startswith("/admin")]


async def test_warming_20_cities_makes_20_calls_with_duplicate_requests_meanwhile(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    # Room for the fetches to overlap: one call at a time (the default) would queue 20
    # cities' geocoding and forecast behind each other past UPSTREAM_TIMEOUT.
    env = {"ADMIN_TOKEN": TOKEN, "UPSTREAM_CONCURRENCY": "8"}
    one, two = start_app(env), start_app(env)
    cities = [name for name, *_ in CITIES[:20]]
    await fake_open_meteo.aset(latency_s=0.2)  # every fetch in flight long enough to share
    async with httpx.AsyncClient(timeout=30) as client:
        warm = client.post(f"{one.url}/admin/warm", json={"cities": cities * 2}, headers=ADMIN)
        duplicates = [
            client.get(f"{url}/weather", params={"city": city})
            for city in cities
            for url in (one.url, two.url)
        ]
        warmed, *answers = await asyncio.gather(warm, *duplicates)
    assert warmed.status_code == 200
    outcomes = [w["outcome"] for w in warmed.json()["warmed"]]
    assert len(outcomes) == 40 and set(outcomes) <= {"MISS", "COALESCED", "HIT"}, warmed.json()
    assert all(a.status_code == 200 for a in answers)
    calls = await fake_open_meteo.acalls()
    assert calls["forecast"] == 20 and calls["geocoding"] == 20


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "skycache", *args]
    return subprocess.run(
        command, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_cli_purges_and_warms_through_the_shared_cache(
    start_app: StartApp, app_env: dict[str, str], fake_open_meteo: FakeOpenMeteo
) -> None:
    app = start_app()
    weather(app.url, "Boise")

    purged = cli(app_env, "purge", "boise")
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.strip() == "purged boise"
    time.sleep(NEAR_TTL_S + 0.2)
    assert weather(app.url, "Boise").headers["X-Cache"] == "MISS"

    before = fake_open_meteo.calls()["forecast"]
    warmed = cli(app_env, "warm", "Eugene", "Topeka", "Eugene", "Boise")
    assert warmed.returncode == 0, warmed.stderr
    lines = warmed.stdout.splitlines()
    assert lines[0] == "Eugene: MISS" and lines[-1] == "Boise: HIT"
    assert fake_open_meteo.calls()["forecast"] == before + 2
    assert weather(app.url, "Topeka").headers["X-Cache"] == "HIT"


def test_the_cli_refuses_bad_names_and_a_missing_redis(app_env: dict[str, str]) -> None:
    bad = cli(app_env, "purge", "*")
    assert bad.returncode == 2 and "city may contain only" in bad.stderr
    closed = {**app_env, "REDIS_URL": "redis://127.0.0.1:1/0", "SKYCACHE_CACHE": "auto"}
    down = cli(closed, "warm", "Boise")
    assert down.returncode == 1 and "Redis does not answer" in down.stderr


def test_the_cli_says_what_the_commands_do() -> None:
    helped = cli({}, "warm", "--help")
    assert helped.returncode == 0 and "stampede guard" in helped.stdout


@pytest.mark.slow
async def test_with_redis_down_a_purge_says_what_it_did_not_purge_and_a_warm_what_it_did_not_store(
    start_app: StartApp, own_redis_server: LocalRedisServer
) -> None:
    env = {"ADMIN_TOKEN": TOKEN, "REDIS_URL": own_redis_server.url, "NEAR_CACHE_TTL": "0"}
    app = start_app(env)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, headers=ADMIN) as client:
        assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
        own_redis_server.kill()
        purged = await client.delete("/admin/cache/Boise")
        warmed = await client.post("/admin/warm", json={"cities": ["Topeka"]})
        own_redis_server.start()

        async def stored_again() -> bool:
            again = await client.post("/admin/warm", json={"cities": ["Eugene"]})
            return bool(again.json()["warmed"][0]["stored"])

        await eventually(stored_again, 15, "a warm stored in Redis once it is back")
        purged_after = await client.delete("/admin/cache/Eugene")

    assert purged.status_code == 503
    assert purged.json()["error"] == "shared_cache_unavailable"
    assert purged.json()["not_purged"] and purged.json()["purged"]
    (topeka,) = warmed.json()["warmed"]
    assert (topeka["outcome"], topeka["stored"]) == ("MISS", False)
    assert purged_after.status_code == 200 and purged_after.json() == {"purged": "Eugene"}
    assert "Traceback" not in log_of(app)
