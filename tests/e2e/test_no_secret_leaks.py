"""No secret in any output: a run configured with a Redis password and an OpenWeatherMap key,
whose every log line, response body, /metrics, /stats and /healthz is searched for them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_openweathermap import FakeOpenWeatherMap
from tests.support.secure_redis import SecureRedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Distinctive, and with characters a query string or a URL encodes.
API_KEY = "owm+Leak/Key-7Qx9Zp"
PASSWORD = "rds-Leak-Pw-4Kv8Tn"
ADMIN_TOKEN = "adm-Leak-Tk-2Hw5Rq"
METRICS_TOKEN = "met-Leak-Tk-8Jd3Lm"
OPEN_METEO_KEY = "om+Leak/Key-3Wd6Yq"  # the gateway's, sent upstream as `apikey`
SECRETS = (API_KEY, PASSWORD, ADMIN_TOKEN, METRICS_TOKEN, OPEN_METEO_KEY)


def leaked(text: str) -> list[str]:
    forms = {form for s in SECRETS for form in (s, quote(s, safe=""), quote_plus(s), quote(s))}
    return sorted(form for form in forms if form in text)


@pytest.fixture(scope="module")
def secure_redis() -> Iterator[SecureRedisServer]:
    with SecureRedisServer(PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def owm() -> Iterator[FakeOpenWeatherMap]:
    fake = FakeOpenWeatherMap(api_key=API_KEY, accept_any=True)
    with fake:
        yield fake


def service_env(
    redis: SecureRedisServer, owm: FakeOpenWeatherMap, meteo: FakeOpenMeteo, level: str
) -> dict[str, str]:
    return {
        "REDIS_URL": redis.url,
        "SKYCACHE_CACHE": "redis",
        "WEATHER_PROVIDER": "openweathermap,open-meteo",
        "OPENWEATHER_API_KEY": API_KEY,
        "OPENWEATHER_URL": owm.url,
        "OPEN_METEO_GEOCODING_URL": meteo.url,
        "OPEN_METEO_FORECAST_URL": meteo.url,
        "UPSTREAM_TIMEOUT": "2",
        "BREAKER_FAILURES": "100",  # every request reaches the upstreams
        "LOG_LEVEL": level,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "METRICS_TOKEN": METRICS_TOKEN,
        "OPEN_METEO_API_KEY": OPEN_METEO_KEY,
        "OPEN_METEO_AIR_QUALITY_URL": meteo.url,
    }


async def gateway_mode(meteo: FakeOpenMeteo, mode: str) -> None:
    async with httpx.AsyncClient(base_url=meteo.url, timeout=10) as client:
        (await client.post("/_gateway/control", json={"mode": mode})).raise_for_status()


async def exercise(app: AppServer, owm: FakeOpenWeatherMap, meteo: FakeOpenMeteo) -> list[str]:
    """200, 404, 401, 500 and a 503 from the upstreams; every answer and every report page."""
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=app.url, timeout=15) as client:

        async def get(path: str, **params: str) -> int:
            response = await client.get(path, params=params)
            seen.append(f"{response.status_code} {response.headers} {response.text}")
            return response.status_code

        async def admin(method: str, path: str, token: str, **json: list[str]) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            response = await client.request(method, path, headers=headers, json=json or None)
            seen.append(f"{response.status_code} {response.headers} {response.text}")
            return response.status_code

        assert await get("/weather", city="Boise") == 200
        assert await get("/weather", city="Nowhere Springs") == 404
        await owm.aset(mode="error500")
        assert await get("/weather", city="Denver") == 200  # failed over to Open-Meteo
        await owm.aset(mode="error401")
        assert await get("/weather", city="Austin") == 200
        await meteo.aset(mode="error500")
        assert await get("/weather", city="Topeka") == 503
        await owm.aset(mode="ok")
        await meteo.aset(mode="ok")
        assert await get("/v1/forecast", latitude="52.52", longitude="13.41") == 200
        await gateway_mode(meteo, "error500")
        assert await get("/v1/air-quality", latitude="52.52", longitude="13.41") in {502, 503}
        await gateway_mode(meteo, "ok")
        for path in ("/stats", "/healthz", "/metrics", "/schema/openapi.json", "/nope"):
            await get(path)
        for path in ("/status", "/status/data"):
            assert await get(path) == 200
        assert await admin("GET", "/metrics", METRICS_TOKEN) == 200
        assert await admin("GET", "/metrics", ADMIN_TOKEN) == 403
        assert await admin("DELETE", "/admin/cache/Boise", ADMIN_TOKEN) == 200
        assert await admin("DELETE", "/admin/cache/Boise", ADMIN_TOKEN + "x") == 403
        assert await admin("POST", "/admin/warm", ADMIN_TOKEN, cities=["Boise"]) == 200
    return seen


@pytest.mark.parametrize("level", ["debug", "info"])
async def test_a_run_with_a_redis_password_and_an_api_key_never_shows_either(
    secure_redis: SecureRedisServer,
    owm: FakeOpenWeatherMap,
    fake_open_meteo: FakeOpenMeteo,
    level: str,
) -> None:
    await owm.areset()
    with secure_redis.client() as redis:
        redis.flushdb()
    app = AppServer(service_env(secure_redis, owm, fake_open_meteo, level), workers=2).start()
    try:
        seen = await exercise(app, owm, fake_open_meteo)
    finally:
        app.stop()
    output = app.output()
    assert (await owm.acalls())["weather"] >= 4, "OpenWeatherMap was never called"
    assert leaked(output) == [], output
    assert leaked("\n".join(seen)) == []
    if level == "debug":
        # httpx's own line for each upstream request was written, and masked.
        assert "appid=***" in output
        assert "apikey=***" in output


def run_cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "skycache", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout + done.stderr


def test_configuration_errors_and_skycache_config_never_show_a_secret(
    secure_redis: SecureRedisServer, owm: FakeOpenWeatherMap, fake_open_meteo: FakeOpenMeteo
) -> None:
    env = service_env(secure_redis, owm, fake_open_meteo, "debug")
    wrong = quote(API_KEY, safe="")
    outputs = [
        run_cli("config", env=env),
        run_cli("config", "--json", env=env),
        run_cli("serve", env={**env, "REDIS_URL": f"redis://:{PASSWORD}@/0"}),
        run_cli("serve", env={**env, "WEATHER_TTL": "-5"}),
        # A wrong password: SKYCACHE_CACHE=redis refuses to start, naming the URL.
        run_cli("serve", env={**env, "REDIS_URL": secure_redis.url.replace(PASSWORD, wrong)}),
        # One that is not percent-encoded: the URL no longer parses, and the error quotes it.
        run_cli("serve", env={**env, "REDIS_URL": secure_redis.url.replace(PASSWORD, API_KEY)}),
    ]
    assert "REDIS_URL='redis://:***@/0'" in outputs[2]
    assert "does not answer" in outputs[4]
    assert "REDIS_URL='redis://:***@127.0.0.1" in outputs[5]
    for output in outputs:
        assert leaked(output) == [], output
