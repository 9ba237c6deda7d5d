"""The budget when Redis loses its keys, and what each client's fetches may cost."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.e2e.test_upstream_budget import QUIET, invented, total
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Connection, Reply, ask_each_city, get_once, weather_target
from tests.support.redis_server import LocalRedisServer

pytestmark = LOAD_TEST

ROUND = 8  # new names a round, each from its own connection: spread over the workers


async def round_of_new_names(url: str, names: itertools.islice[str]) -> Counter[int]:
    replies = await asyncio.gather(*(get_once(url, weather_target(n)) for n in names))
    return Counter(r.status for r in replies)


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_flush_between_rounds_leaves_the_minute_at_its_limit(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, redis_client: Redis, workers: int
) -> None:
    await fake_open_meteo.aset(accept_any=True)
    env = {**QUIET, "UPSTREAM_MAX_PER_MINUTE": "10", "UPSTREAM_MISSES_PER_CLIENT": "0"}
    app = start_app(env, workers=workers)
    names = invented("Flushville ")
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for _ in range(3):
        statuses += await round_of_new_names(app.url, itertools.islice(names, ROUND))
        await redis_client.flushdb()
    calls = await fake_open_meteo.acalls()

    print(f"\n{workers} worker(s), flushed 3 times: {calls}, statuses {dict(statuses)}")
    assert time.monotonic() - started < 60
    # Names never seen may fill 8 of the 10. With two workers, until both have called
    # since the keys were made, each keeps to its share (5, so 4 for new names): that
    # may leave the minute short, and a flush may let a worker's share over the limit
    # while the other is silent (docs/OPERATIONS.md).
    if workers == 1:
        assert total(calls) == 8
    else:
        assert 4 <= total(calls) <= 15
    assert set(statuses) == {200, 503}


async def test_a_redis_restarted_empty_leaves_the_minute_at_its_limit(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    await fake_open_meteo.aset(accept_any=True)
    names = invented("Restartville ")
    with LocalRedisServer() as redis_server:  # this test's own: it is restarted
        env = {**QUIET, "REDIS_URL": redis_server.url, "UPSTREAM_MAX_PER_MINUTE": "10"}
        app = start_app(env)
        for _ in range(3):
            await round_of_new_names(app.url, itertools.islice(names, ROUND))
            redis_server.restart()
        await asyncio.sleep(1.5)  # past the Redis breaker's cooldown: Redis is used again
        await round_of_new_names(app.url, itertools.islice(names, ROUND))
    calls = await fake_open_meteo.acalls()

    print(f"\nrestarted empty 3 times: {calls}")
    assert total(calls) == 8


def cell(i: int) -> str:
    return f"/weather?lat=10.{i:02d}&lon=20.00"


async def test_refreshes_through_many_cells_stay_within_the_clients_share(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    """A client allowed 10 fetches a minute makes 10 cells, then keeps re-reading them
    past their TTL; another client's hot city and new name are still served."""
    env = {
        **QUIET,
        "WEATHER_TTL": "3",
        "UPSTREAM_MAX_PER_MINUTE": "60",
        "UPSTREAM_MISSES_PER_CLIENT": "10/minute",
    }
    app = start_app(env, workers=2)
    attacker = Connection(app.url, source="127.0.0.1")
    victim = Connection(app.url, source="127.0.0.2")
    attack: list[Reply] = []
    hot: list[Reply] = []
    try:
        deadline = time.monotonic() + 13
        while time.monotonic() < deadline:
            attack += [await attacker.get(cell(i)) for i in range(10)]
            hot.append(await victim.get(weather_target("San Jose")))
            await asyncio.sleep(0.5)
        newcomer = await victim.get(weather_target("Boston"))
    finally:
        await attacker.aclose()
        await victim.aclose()
    places = await fake_open_meteo.acalls_by_place()

    cells = sum(n for place, n in places.items() if place.startswith("forecast 10."))
    san_jose = sum(n for place, n in places.items() if place.startswith("forecast 37."))
    print(
        f"\ncells' calls {cells}, San Jose's {san_jose}, attack {Counter(r.cache for r in attack)}"
    )
    assert cells == 10  # its 10 fills: then its reads refresh nothing, within the minute
    assert {r.status for r in attack} == {200}  # stale copies, served
    assert san_jose >= 3  # the hot city kept being refreshed for its reader
    assert (newcomer.status, newcomer.cache) == (200, "MISS")


async def test_a_batch_pays_only_for_the_names_whose_fetch_reached_the_upstream(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo
) -> None:
    await fake_open_meteo.aset(accept_any=True, latency_s=1.0)
    env = {**QUIET, "UPSTREAM_MISSES_PER_CLIENT": "20/minute", "UPSTREAM_CONCURRENCY": "2"}
    app = start_app(env)
    names = invented("Batchville ")
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        batch = [next(names) for _ in range(50)]
        reply = await client.post("/weather/batch", json={"cities": batch})
    assert reply.status_code == 200
    statuses = Counter(item["status"] for item in reply.json()["results"])
    reached = await fake_open_meteo.acalls()
    await fake_open_meteo.aset(latency_s=0.0)

    # Paid: the names whose geocoding went out; the others' places were given back.
    paid = reached["geocoding"]
    later = [await get_once(app.url, weather_target(next(names))) for _ in range(20 - paid)]
    over = await get_once(app.url, weather_target(next(names)))

    print(f"\nbatch {dict(statuses)}, upstream {reached}, then {len(later)} more misses")
    assert statuses[429] == 30 and statuses[503] > 0  # 20 past the budget, some not sent
    assert paid < 20
    assert {r.status for r in later} == {200}
    assert over.status == 429


async def test_invented_names_in_a_redis_outage_leave_no_pile_of_lock_files(
    start_app: StartApp, fake_open_meteo: FakeOpenMeteo, tmp_path: Path
) -> None:
    await fake_open_meteo.aset(accept_any=True)
    run_dir = tmp_path / "run"
    with LocalRedisServer() as redis_server:  # this test's own: it is killed
        env = {
            **QUIET,
            "REDIS_URL": redis_server.url,
            "SKYCACHE_RUN_DIR": str(run_dir),
            "UPSTREAM_MISSES_PER_CLIENT": "30/minute",
        }
        app = start_app(env, workers=2)
        redis_server.kill()
        names = itertools.islice(invented("Pileville "), 20_000)
        flood: list[Reply] = []
        probe: list[Reply] = []
        stop = asyncio.Event()

        async def prober() -> None:
            connection = Connection(app.url, source="127.0.0.2")
            try:
                while not stop.is_set():
                    probe.append(await connection.get(weather_target("San Jose")))
                    await asyncio.sleep(0.01)
            finally:
                await connection.aclose()

        probing = asyncio.create_task(prober())
        started = time.monotonic()
        async with asyncio.timeout(240):
            await asyncio.gather(
                *(ask_each_city(app.url, names, flood, "127.0.0.1") for _ in range(8))
            )
        seconds = time.monotonic() - started
        stop.set()
        await probing
        lock_files = len(list((run_dir / "locks").glob("*.lease")))

    statuses = Counter(r.status for r in flood)
    longest = max(r.latency_s for r in probe)
    print(
        f"\n20,000 names in {seconds:.1f} s: {dict(statuses)}, {lock_files} lock files;"
        f" probe {len(probe)} answers, longest {longest:.3f} s"
    )
    assert len(flood) == 20_000
    windows = int(seconds // 60) + 1
    # A file per fetch that went on to take a lease: the admitted names and the probe's
    # city, never the refused ones.
    assert statuses[429] >= 20_000 - 2 * 30 * windows
    assert lock_files <= statuses[200] + statuses[503] + 1
    assert {r.status for r in probe} == {200}
