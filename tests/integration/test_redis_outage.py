"""The Redis adapters while their own redis-server crashes and comes back on the same port."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from adapters.redis_cache import RedisCache
from adapters.redis_client import create_redis_client
from adapters.redis_lock import RedisLock
from adapters.redis_metrics import STATS_KEY, RedisMetrics
from domain.entry import CacheEntry
from domain.errors import CacheUnavailable
from domain.outcome import Counter
from ports.lock import Held, Signal
from tests.support.redis_server import LocalRedisServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

NEGATIVE = CacheEntry(weather=None, fetched_at=1.0, fresh_until=2.0, stale_until=3.0)


@pytest.fixture
def server() -> Iterator[LocalRedisServer]:
    with LocalRedisServer() as server:
        yield server


@pytest.fixture
async def client(server: LocalRedisServer) -> AsyncIterator[Redis]:
    client = create_redis_client(server.url)
    yield client
    await client.aclose()


async def test_the_cache_fails_fast_while_down_and_recovers(
    server: LocalRedisServer, client: Redis
) -> None:
    cache = RedisCache(client)
    await cache.put("atlantis", NEGATIVE, 60)
    server.kill()
    started = time.monotonic()
    with pytest.raises(CacheUnavailable):
        await cache.get("atlantis")
    assert await cache.ping() is False
    assert time.monotonic() - started < 0.5
    server.restart()
    # The pool's sockets to the dead server are replaced without an error reaching us.
    assert await cache.get("atlantis") is None  # a fresh, empty server
    await cache.put("atlantis", NEGATIVE, 60)
    assert await cache.get("atlantis") == NEGATIVE


async def test_watchers_are_told_to_recheck_and_the_lock_recovers(
    server: LocalRedisServer, client: Redis
) -> None:
    lock = RedisLock(client)
    try:
        await lock.start()
        watch = lock.watch("san jose")
        server.kill()
        assert await watch.wait(3.0) is Signal.TIMEOUT
        with pytest.raises(CacheUnavailable):
            await lock.acquire("san jose", 5.0)
        server.restart()
        assert await watch.wait(5.0) is Signal.TIMEOUT  # resubscribed: re-check again
        lease = await lock.acquire("san jose", 5.0)
        assert not isinstance(lease, Held)
        await lease.release(Signal.DONE)
        assert await watch.wait(3.0) is Signal.DONE
        watch.close()
    finally:
        await lock.aclose()


async def test_counts_made_while_down_are_kept_and_sent_later(
    server: LocalRedisServer, client: Redis
) -> None:
    metrics = RedisMetrics(client, flush_interval_s=0.05)
    await metrics.start()
    try:
        metrics.incr(Counter.CACHE_HITS, 2)
        await metrics.flush()
        server.kill()
        metrics.incr(Counter.CACHE_HITS, 3)
        await asyncio.sleep(0.15)  # a few failed background flushes
        assert (await metrics.totals())[Counter.CACHE_HITS] == 5
        server.restart()
        # The restarted server is empty: it gets exactly what was counted while down.
        assert await eventually_stored(client, Counter.CACHE_HITS) == 3
    finally:
        await metrics.stop()


async def eventually_stored(client: Redis, counter: Counter, within_s: float = 3.0) -> int:
    deadline = time.monotonic() + within_s
    while (raw := await client.hget(STATS_KEY, counter.value)) is None:
        assert time.monotonic() < deadline, "the background flush never landed"
        await asyncio.sleep(0.02)
    return int(raw)
