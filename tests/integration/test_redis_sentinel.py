"""The Redis adapters on a Sentinel-watched primary, through a failover and a killed primary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.breaker_stores import BreakerCache, BreakerLock
from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from adapters.redis.keys import weather_key
from adapters.redis.lock import RedisLock
from adapters.system_clock import SystemClock
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from ports.lock import Held, Lease, Signal
from tests.support.redis_sentinel import FAULTS, LocalSentinelSet
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration]

NEGATIVE = CacheEntry(weather=None, fetched_at=1.0, fresh_until=2.0, stale_until=3.0)


@pytest.fixture
def sentinel_set() -> Iterator[LocalSentinelSet]:
    """This module's own set: its tests fail the primary over, or kill it."""
    with LocalSentinelSet() as sentinel_set:
        yield sentinel_set


@pytest.fixture
async def client(sentinel_set: LocalSentinelSet) -> AsyncIterator[Redis]:
    client = create_redis_client(sentinel_set.topology, timeout_s=2.0, connect_timeout_s=2.0)
    yield client
    await client.aclose()


def cache_on(client: Redis) -> BreakerCache:
    redis = RedisCache(client)
    return BreakerCache(
        redis, redis, RedisBreaker(clock=SystemClock(), failures=1, cooldown_s=0.05)
    )


@pytest.fixture
async def boise_cached(client: Redis) -> BreakerCache:
    """The cache on `client`, Boise written (and replicated) before any fault."""
    cache = cache_on(client)
    await cache.put("boise", NEGATIVE, 60)
    return cache


async def stored_on(port: int, key: str) -> bool:
    direct = create_redis_client(f"redis://127.0.0.1:{port}/0", timeout_s=2.0)
    try:
        return await RedisCache(direct).get(key) is not None
    finally:
        await direct.aclose()


async def test_writes_move_to_the_new_primary_long_before_the_old_one_is_demoted(
    sentinel_set: LocalSentinelSet, boise_cached: BreakerCache
) -> None:
    cache = boise_cached
    old = sentinel_set.primary_port()
    new = await asyncio.to_thread(sentinel_set.failover)
    # The Sentinel demotes the old primary about 10 s after a SENTINEL FAILOVER: until then
    # it still takes writes, which a client that only looks the primary up on connecting
    # would keep sending it.
    assert _role(old) == "master"

    async def written_to_the_new_primary() -> bool:
        await cache.put("denver", NEGATIVE, 60)
        return await stored_on(new, "denver")

    await eventually(
        written_to_the_new_primary, 5, "a write on the new primary", not_yet=(CacheUnavailable,)
    )
    assert _role(old) == "master", "the old primary was demoted: the client was not tested"
    assert await cache.get("boise") is not None  # replicated before the failover


async def test_the_client_returns_by_itself_after_its_primary_is_killed(
    sentinel_set: LocalSentinelSet, boise_cached: BreakerCache
) -> None:
    cache = boise_cached
    old = sentinel_set.kill_primary()
    with pytest.raises(CacheUnavailable):  # a Redis failure, whatever redis-py raised
        await cache.put("denver", NEGATIVE, 60)
    new = await asyncio.to_thread(sentinel_set.wait_for_new_primary, old)

    async def written() -> bool:
        await cache.put("denver", NEGATIVE, 60)
        return True

    await eventually(written, 10, "a write after the failover", not_yet=(CacheUnavailable,))
    assert await stored_on(new, "denver")
    assert await cache.get("boise") is not None


async def test_a_readonly_reply_from_a_demoted_primary_is_a_redis_failure(
    sentinel_set: LocalSentinelSet, client: Redis
) -> None:
    cache = cache_on(client)
    lock = RedisLock(client)
    guarded_lock = BreakerLock(lock, RedisBreaker(clock=SystemClock(), failures=5))
    try:
        await cache.put("boise", NEGATIVE, 60)
        assert not isinstance(await guarded_lock.acquire("warmup", 5.0), Held)
        # Demoted behind the Sentinel's back: it still names the old node, which says READONLY.
        primary = sentinel_set.primary_port()
        replica = next(node.port for node in sentinel_set.nodes if node.port != primary)
        SyncRedis(port=replica).replicaof("NO", "ONE")
        SyncRedis(port=primary).replicaof("127.0.0.1", replica)

        with pytest.raises(CacheUnavailable):
            await cache.put("denver", NEGATIVE, 60)
        with pytest.raises(CacheUnavailable):
            await guarded_lock.acquire("denver", 5.0)
    finally:
        await lock.aclose()


async def test_redis_urls_password_and_database_reach_the_primary() -> None:
    with LocalSentinelSet(password="s3cret") as sentinel_set:
        topology = sentinel_set.topology
        client = create_redis_client(replace(topology, url=topology.url.replace("/0", "/3")))
        stranger = create_redis_client(replace(topology, url="redis://127.0.0.1/3"))
        try:
            await cache_on(client).put("boise", NEGATIVE, 60)
            with SyncRedis(port=sentinel_set.primary_port(), password="s3cret", db=3) as node:
                assert node.exists(weather_key("boise"))
            with pytest.raises(CacheUnavailable):  # no password: refused, as a Redis failure
                await cache_on(stranger).get("boise")
        finally:
            await client.aclose()
            await stranger.aclose()


@pytest.mark.parametrize("fail", FAULTS)
async def test_a_waiter_is_woken_by_a_release_after_a_failover(
    sentinel_set: LocalSentinelSet, fail: str
) -> None:
    """Two processes' locks: one holds the lease, the other waits for its release message."""
    clients = [create_redis_client(sentinel_set.topology, timeout_s=2.0) for _ in range(2)]
    owner, waiter = (RedisLock(client) for client in clients)
    try:
        await owner.start()
        await waiter.start()
        new = await asyncio.to_thread(sentinel_set.replace_primary, fail)

        async def both_subscribed_on_the_new_primary() -> bool:
            with SyncRedis(port=new, decode_responses=True) as node:
                ours = [c for c in node.client_list(_type="pubsub") if c["name"] == "skycache"]
            return len(ours) == 2  # the Sentinel's own subscription is not counted

        await eventually(
            both_subscribed_on_the_new_primary,
            10,
            "both subscriptions moved",
            not_yet=(CacheUnavailable,),
        )
        lease = await _lease_when_writable(owner, "san jose")
        assert isinstance(await waiter.acquire("san jose", 5.0), Held)
        watch = waiter.watch("san jose")
        try:
            await lease.release(Signal.DONE)
            assert await watch.wait(5.0) is Signal.DONE  # the message, not the safety net
        finally:
            watch.close()
    finally:
        for lock in (owner, waiter):
            await lock.aclose()
        for client in clients:
            await client.aclose()


async def _lease_when_writable(lock: RedisLock, key: str) -> Lease:
    deadline = time.monotonic() + 10
    while True:
        try:
            attempt = await lock.acquire(key, 5.0)
            assert not isinstance(attempt, Held)
            return attempt
        except CacheUnavailable:
            assert time.monotonic() < deadline, "no lease within 10 s of the failover"
            await asyncio.sleep(0.05)


def _role(port: int) -> str:
    with SyncRedis(port=port, decode_responses=True) as node:
        return str(node.info("replication")["role"])
