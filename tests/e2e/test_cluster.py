"""Two app instances (two workers each) on a 3-primary Redis Cluster: one upstream fetch per
city across every instance and shard, lost wake-ups, and a shard's failover under load."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from redis.asyncio.cluster import RedisCluster

from adapters.redis.envelope import decode_entry, encode_entry
from adapters.redis.keys import weather_key
from domain.model.query import WeatherQuery
from tests.e2e.conftest import LOAD_TEST, StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.http_load import Reply, burst, closed_loop, warm_up, weather_target
from tests.support.redis_cluster import LocalRedisCluster
from tests.support.waiting import eventually

pytestmark = LOAD_TEST

# The near cache would answer repeats in-process; these tests look at the shared path.
ENV = {"NEAR_CACHE_TTL": "0", "METRICS_FLUSH_INTERVAL": "0.1", "UPSTREAM_TIMEOUT": "15"}
WARM_CITIES = ("Boise", "Denver", "Austin", "Miami", "Seattle")
WARM_CITIES += ("Boston", "Chicago", "Portland", "Phoenix", "Dallas")

StartInstances = Callable[..., list[AppServer]]


@pytest.fixture
def instances(
    start_app: StartApp, redis_cluster: LocalRedisCluster, cluster_redis: RedisCluster
) -> StartInstances:
    """Starts `count` instances of two workers each on the (emptied) cluster."""
    host, port = redis_cluster.addresses[0]
    cluster_env = {
        "REDIS_URL": f"redis://{host}:{port}/0",
        "REDIS_CLUSTER_NODES": redis_cluster.nodes_setting,
    }

    def start(count: int = 2, **env: str) -> list[AppServer]:
        return [start_app({**ENV, **cluster_env, **env}, workers=2) for _ in range(count)]

    return start


async def warmed(apps: list[AppServer], fake: FakeOpenMeteo) -> list[str]:
    """Warm instances (see warm_up), a cold city: the fake forgets the warm-up's calls."""
    urls = [app.url for app in apps]
    await warm_up(urls, weather_target("Miami"), 400)
    await fake.areset()
    return urls


async def one_fetch_answered_all(replies: list[Reply], fake: FakeOpenMeteo) -> None:
    """Every request answered 200, by one geocoding and one forecast call: one MISS, the
    rest waiters woken by it (or hits, arriving after it landed)."""
    assert Counter(r.status for r in replies) == {200: len(replies)}
    assert await fake.acalls() == {"geocoding": 1, "forecast": 1}
    caches = Counter(r.cache for r in replies)
    assert caches["MISS"] == 1 and set(caches) <= {"MISS", "COALESCED", "HIT"}, caches


async def test_500_misses_over_two_instances_on_the_cluster_make_one_fetch(
    instances: StartInstances, fake_open_meteo: FakeOpenMeteo
) -> None:
    urls = await warmed(instances(), fake_open_meteo)
    await fake_open_meteo.aset(latency_s=0.5, endpoint="forecast")
    async with asyncio.timeout(60):
        replies = await burst(urls, weather_target("San Jose"), 500)
    await one_fetch_answered_all(replies, fake_open_meteo)
    by_instance = Counter((r.url, r.cache) for r in replies)
    assert all(by_instance[url, "COALESCED"] > 0 for url in urls)  # both waited on one fetch


async def test_a_fetch_slower_than_the_lease_is_still_the_only_one_on_the_cluster(
    instances: StartInstances, fake_open_meteo: FakeOpenMeteo
) -> None:
    # Without its keep-alive the owner's 5 s lease would lapse 2 s before its fetch ends.
    urls = await warmed(instances(LOCK_TTL="5"), fake_open_meteo)
    await fake_open_meteo.aset(latency_s=7, endpoint="forecast")
    async with asyncio.timeout(60):
        replies = await burst(urls, weather_target("Denver"), 200)
    await one_fetch_answered_all(replies, fake_open_meteo)


async def test_100_cold_cities_spread_over_the_shards_make_one_fetch_each(
    instances: StartInstances, fake_open_meteo: FakeOpenMeteo
) -> None:
    # Every name is new to the service: no per-client cap on those; room for 100 fetches.
    env = {"UPSTREAM_MISSES_PER_CLIENT": "0", "UPSTREAM_CONCURRENCY": "8"}
    urls = await warmed(instances(**env), fake_open_meteo)
    await fake_open_meteo.aset(accept_any=True)
    await fake_open_meteo.aset(latency_s=0.3, endpoint="forecast")
    cities = [f"Clustertown {chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(100)]
    async with asyncio.timeout(90):
        bursts = await asyncio.gather(*(burst(urls, weather_target(c), 10) for c in cities))
    replies = [reply for each in bursts for reply in each]
    assert Counter(r.status for r in replies) == {200: 1000}
    assert await fake_open_meteo.acalls() == {"geocoding": 100, "forecast": 100}
    assert all(Counter(r.cache for r in each)["MISS"] == 1 for each in bursts)


async def test_a_lost_wake_up_costs_at_most_one_lease_and_still_one_fetch(
    instances: StartInstances, fake_open_meteo: FakeOpenMeteo, redis_cluster: LocalRedisCluster
) -> None:
    lease_s, fetch_s = 3.0, 2.0
    apps = instances(LOCK_TTL=str(lease_s))
    urls = await warmed(apps, fake_open_meteo)
    await fake_open_meteo.aset(latency_s=fetch_s, endpoint="forecast")
    async with asyncio.timeout(60):
        stampede = asyncio.create_task(burst(urls, weather_target("Boise"), 200))
        await asyncio.sleep(fetch_s / 2)  # every waiter is subscribed, the fetch runs
        for node in redis_cluster.nodes:
            redis_cluster.cli(node.port, "CLIENT", "KILL", "TYPE", "pubsub")
        replies = await stampede
    # Every waiter was answered from the one fetch, none by its wait running out; how long
    # past the fetch they waited is a figure of bench/stampede_cluster.py, not a test bound.
    await one_fetch_answered_all(replies, fake_open_meteo)


class SteadyLoad:
    """32 clients over the warm cities, in a closed loop, for a bounded time."""

    def __init__(self, urls: list[str], duration_s: float) -> None:
        targets = [weather_target(city) for city in WARM_CITIES]
        self.task = asyncio.create_task(
            closed_loop(urls, targets, clients=32, duration_s=duration_s, pause_s=0.01)
        )

    async def replies(self) -> list[Reply]:
        return await self.task


async def test_a_shards_failover_under_load_costs_no_5xx_and_the_service_returns_to_redis(
    instances: StartInstances,
    fake_open_meteo: FakeOpenMeteo,
    redis_cluster: LocalRedisCluster,
    cluster_redis: RedisCluster,
) -> None:
    urls = [app.url for app in instances()]
    # Warm: every worker of both instances has served (and kept a copy of) every city.
    await asyncio.gather(*(burst(urls, weather_target(city), 16) for city in WARM_CITIES))
    before = await fake_open_meteo.acalls_by_place()
    hot = WeatherQuery.parse(WARM_CITIES[0]).key
    owner = redis_cluster.owner_of(weather_key(hot))
    load = SteadyLoad(urls, duration_s=40)
    await asyncio.sleep(2)
    owner.kill()
    try:
        await asyncio.to_thread(redis_cluster.wait_for_new_owner, weather_key(hot), owner)
        during = await fake_open_meteo.acalls_by_place()
        async with httpx.AsyncClient(timeout=5) as client:
            for url in urls:
                ok = lambda url=url: _redis_ok(client, url)  # noqa: E731
                await eventually(ok, 10, f"{url} redis_ok: true")
            # Served from Redis again: an entry written there now is what both answer.
            marked = await _mark_in_redis(cluster_redis, hot)
            for url in urls:
                on_redis = lambda url=url: _answers(client, url, marked)  # noqa: E731
                await eventually(on_redis, 10, f"{url} on Redis")
        replies = await load.replies()
    finally:
        owner.start()  # it rejoins as a replica of the promoted one
    statuses = Counter(r.status for r in replies)
    assert set(statuses) == {200}, statuses
    fetched = Counter(during) - Counter(before)
    assert all(n <= len(urls) for n in fetched.values()), fetched  # one per city per instance


async def _redis_ok(client: httpx.AsyncClient, url: str) -> bool:
    return bool((await client.get(f"{url}/healthz")).json()["redis_ok"])


async def _mark_in_redis(cluster: RedisCluster, key: str) -> float:
    """Rewrites the city's entry in Redis with a temperature no upstream gave; returns it."""
    raw = await cluster.get(weather_key(key))
    assert raw is not None
    entry = decode_entry(raw)
    assert entry.weather is not None
    marked = round(entry.weather.temperature) + 0.25
    weather = dataclasses.replace(entry.weather, temperature=marked)
    rewritten = encode_entry(dataclasses.replace(entry, weather=weather))
    await cluster.set(weather_key(key), rewritten, px=60_000)
    return marked


async def _answers(client: httpx.AsyncClient, url: str, temperature: float) -> bool:
    reply = await client.get(f"{url}/weather", params={"city": WARM_CITIES[0]})
    return reply.status_code == 200 and reply.json()["temperature"] == temperature
