"""The service while its own redis-server crashes, hangs and comes back on the same port."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.redis_server import LocalRedisServer, client_on
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

SEEN = ("Boise", "Denver", "Austin", "Miami", "Seattle")
# Every request goes through the cache: the near cache would hide Redis from the test.
ENV = {"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.2"}
OUTAGE_TTL_S = 2


@pytest.fixture
async def redis(own_redis_server: LocalRedisServer) -> AsyncIterator[Redis]:
    async with client_on(own_redis_server.url) as client:
        yield client


@pytest.fixture
def app_on(start_app: StartApp, own_redis_server: LocalRedisServer) -> Callable[..., AppServer]:
    def start(workers: int = 1, **env: str) -> AppServer:
        return start_app({**ENV, "REDIS_URL": own_redis_server.url, **env}, workers=workers)

    return start


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")


# Below uvicorn's 5 s keep-alive timeout: a connection idle through the test's pauses must
# not be reused just as the server closes it (an httpx.ReadError no server fault caused).
KEEPALIVE = httpx.Limits(keepalive_expiry=1.0)


def worker_pids(app: AppServer) -> set[int]:
    children = Path(f"/proc/{app.pid}/task/{app.pid}/children").read_text().split()
    return {int(pid) for pid in children}


class Load:
    """A few clients asking for the cities already seen, until stopped (bounded anyway)."""

    def __init__(self, client: httpx.AsyncClient, *, clients: int = 4, max_each: int = 3000):
        self.statuses: Counter[int] = Counter()
        self.not_json = 0
        self._client = client
        self._stop = False
        self._go = asyncio.Event()
        self._go.set()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._tasks = [asyncio.create_task(self._run(i, max_each)) for i in range(clients)]

    async def _run(self, offset: int, max_each: int) -> None:
        for n in range(max_each):
            await self._go.wait()
            if self._stop:
                return
            self._in_flight += 1
            self._idle.clear()
            try:
                city = SEEN[(n + offset) % len(SEEN)]
                response = await self._client.get("/weather", params={"city": city})
            finally:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.set()
            self.statuses[response.status_code] += 1
            if not response.headers["content-type"].startswith("application/json"):
                self.not_json += 1
            await asyncio.sleep(0.005)

    async def pause(self) -> None:
        """Returns once no request of the load is in flight."""
        self._go.clear()
        if self._in_flight:
            await self._idle.wait()

    def resume(self) -> None:
        self._go.set()

    async def stop(self) -> None:
        self._stop = True
        self._go.set()
        await asyncio.gather(*self._tasks)


async def redis_ok(client: httpx.AsyncClient) -> bool:
    return bool((await client.get("/healthz")).json()["redis_ok"])


async def test_a_redis_crash_costs_no_5xx_and_redis_is_used_again_when_it_returns(
    app_on: Callable[..., AppServer],
    own_redis_server: LocalRedisServer,
    redis: Redis,
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    app = app_on(workers=2)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=KEEPALIVE) as client:
        for city in SEEN:
            assert (await client.get("/weather", params={"city": city})).status_code == 200
        workers = worker_pids(app)
        subscribed = await redis.execute_command("PUBSUB", "NUMPAT")
        load = Load(client)

        own_redis_server.kill()
        noticed_s = await eventually(lambda: _not(redis_ok(client)), 5, "redis_ok: false")

        # A stampede on a new city while Redis is down is one fetch for the instance: its
        # workers share a lock (and the answer) in files meanwhile (adapters/host/).
        # (The load pauses: a worker's first request for a city it has not seen fetches too.)
        await load.pause()
        await fake_open_meteo.aset(latency_s=0.3, endpoint="forecast")
        before = (await fake_open_meteo.acalls())["forecast"]
        stampede = await asyncio.gather(
            *(client.get("/weather", params={"city": "Topeka"}) for _ in range(100))
        )
        forecasts = (await fake_open_meteo.acalls())["forecast"] - before
        await fake_open_meteo.aset(latency_s=0.0, endpoint="forecast")
        load.resume()

        own_redis_server.start()
        await eventually(lambda: redis_ok(client), 10, "redis_ok: true")

        async def stored_again() -> bool:
            await client.get("/weather", params={"city": "Eugene"})
            names = [
                "skycache:v2:{eugene}:weather",
                *(f"skycache:v2:{{{city.lower()}}}:weather" for city in SEEN),
            ]
            return bool(await redis.exists(*names) == len(names))

        await eventually(stored_again, 10, "every city stored in Redis again")

        async def resubscribed() -> bool:
            return bool(await redis.execute_command("PUBSUB", "NUMPAT") == subscribed)

        await eventually(resubscribed, 10, "the lock's pub/sub subscriptions back")
        await load.stop()

    assert noticed_s <= 2.0
    assert {r.status_code for r in stampede} == {200}
    assert forecasts == 1
    assert sum(load.statuses.values()) > 0
    assert set(load.statuses) == {200}, load.statuses
    assert load.not_json == 0
    assert alive(app.pid)
    assert worker_pids(app) == workers, "a worker died and was replaced"


async def test_cities_seen_are_served_while_redis_and_the_upstream_are_both_down(
    app_on: Callable[..., AppServer],
    own_redis_server: LocalRedisServer,
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    app = app_on(WEATHER_TTL=str(OUTAGE_TTL_S), WEATHER_TTL_JITTER="0")
    async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=KEEPALIVE) as client:
        for city in SEEN:
            assert (await client.get("/weather", params={"city": city})).status_code == 200
        own_redis_server.kill()
        await fake_open_meteo.aset(mode="error500")
        # Newest first: the city fetched last is surely still fresh when asked again.
        fresh = [await client.get("/weather", params={"city": city}) for city in SEEN[::-1]]
        await asyncio.sleep(OUTAGE_TTL_S + 0.2)  # every copy is stale now, and cannot be refreshed
        stale = [await client.get("/weather", params={"city": city}) for city in SEEN]
        unseen = await client.get("/weather", params={"city": "Topeka"})

    assert [r.status_code for r in fresh + stale] == [200] * 10
    assert fresh[0].headers["x-cache"] == "HIT"
    # On a busy machine the oldest copies may have turned stale already: each answer says so.
    assert all(r.headers["x-cache"] == ("STALE" if r.json()["stale"] else "HIT") for r in fresh)
    assert {r.headers["x-cache"] for r in stale} == {"STALE"}
    assert all(r.json()["stale"] for r in stale)
    assert unseen.status_code == 503
    assert unseen.json()["status_code"] == 503


async def test_a_hung_redis_is_skipped_by_the_breaker_instead_of_slowing_every_request(
    app_on: Callable[..., AppServer], redis: Redis
) -> None:
    app = app_on()
    pid = int((await redis.info("server"))["process_id"])
    async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=KEEPALIVE) as client:
        assert (await client.get("/weather", params={"city": "Boise"})).status_code == 200
        os.kill(pid, signal.SIGSTOP)  # Redis accepts connections but never answers
        try:
            timings, statuses = [], set()
            for _ in range(40):
                started = time.perf_counter()
                statuses.add((await client.get("/weather", params={"city": "Boise"})).status_code)
                timings.append(time.perf_counter() - started)
            health = (await client.get("/healthz")).json()
        finally:
            os.kill(pid, signal.SIGCONT)
        await eventually(lambda: redis_ok(client), 10, "redis_ok: true")

    assert statuses == {200}
    assert health["redis_ok"] is False
    # Each Redis call may wait REDIS_TIMEOUT (0.25 s); the breaker skips all but a probe
    # per second, so the typical request pays nothing for the dead Redis.
    assert statistics.median(timings) < 0.1, timings


async def _not(check: Awaitable[bool]) -> bool:
    return not await check


async def test_a_worker_restarted_while_redis_is_down_starts_and_the_service_keeps_answering(
    app_on: Callable[..., AppServer], own_redis_server: LocalRedisServer
) -> None:
    # uvicorn replaces a dead worker; had the new one refused to start without Redis,
    # uvicorn would have stopped the whole service.
    app = app_on(workers=2)
    async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=KEEPALIVE) as client:
        assert (await client.get("/weather", params={"city": SEEN[0]})).status_code == 200
        own_redis_server.kill()
        dead = sorted(worker_pids(app))[0]
        os.kill(dead, signal.SIGKILL)

        async def replaced() -> bool:
            live = {pid for pid in worker_pids(app) if alive(pid)}
            return dead not in live and len(live) == 2

        await eventually(replaced, 15, "the dead worker replaced")
        await asyncio.sleep(1.0)  # the new worker's start-up has run by now
        statuses = {
            (await client.get("/weather", params={"city": SEEN[0]})).status_code for _ in range(20)
        }
    assert alive(app.pid)
    assert statuses <= {200, 503}
    assert 200 in statuses
