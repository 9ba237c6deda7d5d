"""/livez and /readyz with the real service: Redis down changes neither; SIGTERM turns
/readyz to 503 while the listener still accepts and a long request is still in flight."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]


async def _statuses(client: httpx.AsyncClient) -> tuple[int, int, bool]:
    live, ready, health = [await client.get(p) for p in ("/livez", "/readyz", "/healthz")]
    return live.status_code, ready.status_code, health.json()["redis_ok"]


async def test_with_redis_killed_liveness_and_readiness_stay_200(
    start_app: StartApp, own_redis_server: LocalRedisServer
) -> None:
    app = start_app({"REDIS_URL": own_redis_server.url}, workers=2)
    async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
        assert await _statuses(client) == (200, 200, True)
        own_redis_server.kill()

        async def redis_reported_down() -> bool:
            return not (await client.get("/healthz")).json()["redis_ok"]

        await eventually(redis_reported_down, 10, "/healthz: redis_ok false")
        # /healthz says Redis is down; the probes an orchestrator acts on do not follow it.
        for _ in range(10):
            assert await _statuses(client) == (200, 200, False)


async def _observe_readyz(url: str) -> str:
    """One probe on a new connection, as a kubelet or balancer makes it."""
    try:
        async with httpx.AsyncClient(timeout=1.0) as probe:
            return str((await probe.get(f"{url}/readyz")).status_code)
    except httpx.TransportError:
        return "closed"


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_turns_readyz_to_503_before_the_listener_closes_and_drains_in_flight(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, workers: int
) -> None:
    env = {"SHUTDOWN_DELAY": "2", "UPSTREAM_TIMEOUT": "10", "NEAR_CACHE_TTL": "0"}
    app = start_app(env, workers=workers)
    await fake_open_meteo.aset(latency_s=4.0, endpoint="forecast")
    observed: list[tuple[str, bool]] = []  # (readyz, whether the long request was done)
    async with httpx.AsyncClient(base_url=app.url, timeout=20) as client:
        assert await _observe_readyz(app.url) == "200"
        long_request = asyncio.create_task(client.get("/weather", params={"city": "Boise"}))

        async def upstream_called() -> bool:
            return (await fake_open_meteo.acalls()).get("forecast", 0) >= 1

        await eventually(upstream_called, 5, "the long request reached the upstream")
        # SIGTERM to the main process alone, as a container runtime sends it.
        exit_status = asyncio.create_task(asyncio.to_thread(app.terminate, 20))
        deadline = time.monotonic() + 20
        while not (long_request.done() and observed[-1][0] == "closed"):
            assert time.monotonic() < deadline, observed
            observed.append((await _observe_readyz(app.url), long_request.done()))
            await asyncio.sleep(0.05)
        response = await long_request
    assert response.status_code == 200
    seen = [status for status, _ in observed]
    first_503 = seen.index("503")
    # Ready, then draining while the long request is still in flight, then no listener;
    # never ready again once draining.
    assert not observed[first_503][1], observed
    assert "200" not in seen[first_503:]
    assert seen.index("closed") > first_503
    assert set(seen) <= {"200", "503", "closed"}
    assert await exit_status == 0
