"""The Redis adapters on a 3-primary Redis Cluster: reads across slots, sharded wake-ups,
the rate limit's windows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.cluster import RedisCluster

from adapters.redis.breaker import RedisBreaker
from adapters.redis.breaker_stores import BreakerCache
from adapters.redis.budget import RedisWindows
from adapters.redis.cache import RedisCache
from adapters.redis.keys import RATE_LIMIT_PREFIX, done_channel, weather_key
from adapters.redis.lock import RedisLock
from adapters.redis.request_leases import LeasedRequestLimit
from adapters.redis.shared_budget import SharedWindows
from adapters.redis.topology import shard_of
from adapters.system_clock import SystemClock
from domain.model.admission import BudgetLimit
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.weather import Weather
from ports.lock import Held, Lease, Signal, Watch
from tests.support.redis_cluster import LocalRedisCluster
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

CITIES = [f"city {n}" for n in range(30)]


@pytest.fixture
async def lock(cluster_redis: RedisCluster) -> AsyncIterator[RedisLock]:
    lock = RedisLock(cluster_redis)
    try:
        yield lock
    finally:
        await lock.aclose()


def entry_for(city: str) -> CacheEntry:
    weather = Weather(
        city=city,
        temperature=len(city) + 0.5,
        humidity=None,
        description=None,
        provider="open-meteo",
    )
    return CacheEntry(weather=weather, fetched_at=1.0, fresh_until=2.0, stale_until=3.0)


async def lease_of(lock: RedisLock, key: str) -> Lease:
    attempt = await lock.acquire(key, 30.0)
    assert not isinstance(attempt, Held)
    return attempt


def pubsub_connections(cluster: LocalRedisCluster) -> int:
    listed = [cluster.cli(node.port, "CLIENT", "LIST", "TYPE", "pubsub") for node in cluster.nodes]
    return sum(len(text.splitlines()) for text in listed)


def subscribers(cluster: LocalRedisCluster, key: str) -> int:
    owner = cluster.owner_of(done_channel(key))
    reply = cluster.cli(owner.port, "PUBSUB", "SHARDNUMSUB", done_channel(key)).split()
    return int(reply[-1])


async def news(watch: Watch, timeout_s: float = 5.0) -> Signal:
    """The first signal other than TIMEOUT (a gap in the subscription wakes with TIMEOUT,
    possibly more than once), or TIMEOUT if none comes in time."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        if (signal := await watch.wait(left)) is not Signal.TIMEOUT:
            return signal
    return Signal.TIMEOUT


async def until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_concurrent_reads_of_cities_on_every_shard_each_get_their_own_entry(
    cluster_redis: RedisCluster,
) -> None:
    cache = RedisCache(cluster_redis)
    for city in CITIES:
        await cache.put(city, entry_for(city), 60)
    found = await asyncio.gather(*(cache.get(city) for city in [*CITIES, "nowhere"]))
    assert found == [*(entry_for(city) for city in CITIES), None]


async def test_waiters_of_many_cities_share_one_connection_per_shard(
    lock: RedisLock, redis_cluster: LocalRedisCluster
) -> None:
    before = pubsub_connections(redis_cluster)
    watches = [lock.watch(city) for city in CITIES for _ in range(3)]
    try:
        leases = [await lease_of(lock, city) for city in CITIES]
        assert pubsub_connections(redis_cluster) - before <= 3
        for lease in leases:
            await lease.release(Signal.DONE)
        assert [await watch.wait(5.0) for watch in watches] == [Signal.DONE] * len(watches)
    finally:
        for watch in watches:
            watch.close()


async def test_a_city_is_subscribed_while_watched_and_let_go_after_its_last_watcher(
    lock: RedisLock, redis_cluster: LocalRedisCluster
) -> None:
    first, second = lock.watch("san jose"), lock.watch("san jose")
    await lock.acquire("san jose", 5.0)  # returns once the subscription is confirmed
    assert subscribers(redis_cluster, "san jose") == 1  # one per process, not per waiter
    first.close()
    await asyncio.sleep(0.2)
    assert subscribers(redis_cluster, "san jose") == 1
    second.close()
    await until(lambda: subscribers(redis_cluster, "san jose") == 0)


async def test_a_killed_subscription_wakes_the_waiters_and_comes_back(
    lock: RedisLock, redis_cluster: LocalRedisCluster
) -> None:
    watch = lock.watch("san jose")
    try:
        lease = await lease_of(lock, "san jose")
        assert isinstance(await lock.acquire("san jose", 30.0), Held)
        for node in redis_cluster.nodes:
            redis_cluster.cli(node.port, "CLIENT", "KILL", "TYPE", "pubsub")
        started = time.monotonic()
        assert await watch.wait(30.0) is Signal.TIMEOUT
        assert time.monotonic() - started < 30.0  # woken, not timed out
        await until(lambda: subscribers(redis_cluster, "san jose") == 1)
        await lease.release(Signal.DONE)
        assert await news(watch) is Signal.DONE
    finally:
        watch.close()


async def test_after_a_shards_failover_waiters_are_woken_and_hear_the_new_primary(
    lock: RedisLock, redis_cluster: LocalRedisCluster
) -> None:
    watch = lock.watch("san jose")
    try:
        # Subscribed and heard once; no lease left behind (a replica would keep it).
        await (await lease_of(lock, "san jose")).release(Signal.DONE)
        assert await watch.wait(5.0) is Signal.DONE
        owner = redis_cluster.owner_of(done_channel("san jose"))
        owner.kill()
        try:
            started = time.monotonic()
            assert await watch.wait(30.0) is Signal.TIMEOUT
            assert time.monotonic() - started < 30.0  # woken, not timed out
            redis_cluster.wait_for_new_owner(done_channel("san jose"), owner)
            await until(lambda: subscribers(redis_cluster, "san jose") == 1, timeout_s=15.0)
            lease = await lease_of(lock, "san jose")
            await lease.release(Signal.DONE)
            assert await news(watch) is Signal.DONE
        finally:
            owner.start()  # it rejoins as a replica of the promoted one
            redis_cluster.wait_until_ok()
    finally:
        watch.close()


async def test_the_rate_limit_counts_each_client_in_one_slot_of_the_cluster(
    cluster_redis: RedisCluster,
) -> None:
    windows = SharedWindows(
        redis=RedisWindows(
            cluster_redis, probe_every_s=600, prefix=RATE_LIMIT_PREFIX, settle=False
        ),
        breaker=RedisBreaker(clock=FakeClock()),
    )
    limit = LeasedRequestLimit(BudgetLimit(2, 60.0, "minute"), windows, FakeClock())
    clients = ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    verdicts = {ip: [await limit.admit(ip) for _ in range(3)] for ip in clients}
    assert {ip: [v is None for v in said] for ip, said in verdicts.items()} == {
        ip: [True, True, False] for ip in clients
    }
    keys = await cluster_redis.keys(f"{RATE_LIMIT_PREFIX}*:windows", target_nodes="primaries")
    assert len(keys) == 3  # one per client, each hash-tagged into its client's slot


async def test_while_a_shard_is_down_the_cities_of_the_others_are_still_read(
    cluster_redis: RedisCluster, redis_cluster: LocalRedisCluster
) -> None:
    redis = RedisCache(cluster_redis)
    shards = shard_of(cluster_redis)
    assert shards is not None
    for city in CITIES:
        await redis.put(city, entry_for(city), 60)
    cache = BreakerCache(
        redis,
        redis,
        RedisBreaker(clock=SystemClock(), failures=2, cooldown_s=30.0, shard_of=shards),
    )
    down = redis_cluster.owner_of(weather_key(CITIES[0]))
    lost = [city for city in CITIES if shards(city) == shards(CITIES[0])]
    kept = [city for city in CITIES if city not in lost]
    down.kill()
    try:
        for city in lost:
            with pytest.raises(CacheUnavailable):
                await cache.get(city)
        assert [await cache.get(city) for city in kept] == [entry_for(city) for city in kept]
    finally:
        down.start()  # it comes back as it was, or as a replica if the failover happened
        redis_cluster.wait_until_ok()
