"""The Redis adapters while their own redis-server crashes and comes back on the same port."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.flushes import Flushes
from adapters.redis.cache import RedisCache
from adapters.redis.lock import RedisLock
from adapters.redis.metrics import STATS_KEY, RedisMetrics
from adapters.system_clock import SystemClock
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from ports.lock import Held, Signal
from tests.support.redis_server import LocalRedisServer, client_on

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

NEGATIVE = CacheEntry(weather=None, fetched_at=1.0, fresh_until=2.0, stale_until=3.0)


@pytest.fixture
async def client(own_redis_server: LocalRedisServer) -> AsyncIterator[Redis]:
    async with client_on(own_redis_server.url, patient=False) as client:
        yield client


async def test_the_cache_fails_fast_while_down_and_recovers(
    own_redis_server: LocalRedisServer, client: Redis
) -> None:
    cache = RedisCache(client)
    await cache.put("atlantis", NEGATIVE, 60)
    own_redis_server.kill()
    with pytest.raises(CacheUnavailable) as raised:
        await cache.get("atlantis")
    assert await cache.ping() is False
    # Failing fast is failing on the reset or refusal, not on a timeout waited out.
    assert "ConnectionError" in str(raised.value)
    own_redis_server.restart()
    # The pool's sockets to the dead server are replaced without an error reaching us.
    assert await cache.get("atlantis") is None  # a fresh, empty server
    await cache.put("atlantis", NEGATIVE, 60)
    assert await cache.get("atlantis") == NEGATIVE


async def test_watchers_are_told_to_recheck_and_the_lock_recovers(
    own_redis_server: LocalRedisServer, client: Redis
) -> None:
    lock = RedisLock(client)
    try:
        await lock.start()
        watch = lock.watch("san jose")
        own_redis_server.kill()
        assert await watch.wait(3.0) is Signal.TIMEOUT
        with pytest.raises(CacheUnavailable):
            await lock.acquire("san jose", 5.0)
        own_redis_server.restart()
        assert await watch.wait(5.0) is Signal.TIMEOUT  # resubscribed: re-check again
        lease = await lock.acquire("san jose", 5.0)
        assert not isinstance(lease, Held)
        await lease.release(Signal.DONE)
        assert await watch.wait(3.0) is Signal.DONE
        watch.close()
    finally:
        await lock.aclose()


async def test_counts_made_while_down_are_kept_and_sent_later(
    own_redis_server: LocalRedisServer, client: Redis
) -> None:
    metrics = RedisMetrics(client)
    flushes = Flushes(SystemClock())
    flushes.register("stats counters", metrics.flush, every_s=0.05)
    flushes.open()
    try:
        metrics.incr(CounterName.CACHE_HITS, 2)
        await metrics.flush()
        own_redis_server.kill()
        metrics.incr(CounterName.CACHE_HITS, 3)
        await asyncio.sleep(0.15)  # a few failed background flushes
        assert (await metrics.totals())[CounterName.CACHE_HITS] == 5
        own_redis_server.restart()
        # The restarted server is empty: it gets exactly what was counted while down.
        assert await eventually_stored(client, CounterName.CACHE_HITS) == 3
    finally:
        await flushes.close()


async def test_a_batch_applied_after_its_flush_timed_out_is_not_counted_twice(
    own_redis_server: LocalRedisServer, client: Redis
) -> None:
    metrics = RedisMetrics(client)  # the service's 0.25 s timeout; flushed by hand
    metrics.incr(CounterName.API_CALLS)
    await metrics.flush()  # the script is loaded: the next flush is one EVALSHA
    assert own_redis_server.process_id is not None
    os.kill(own_redis_server.process_id, signal.SIGSTOP)  # it queues the command, answers nothing
    try:
        metrics.incr(CounterName.API_CALLS, 5)
        await metrics.flush()  # times out: unknown whether it will be applied
    finally:
        os.kill(own_redis_server.process_id, signal.SIGCONT)
    # Woken up, Redis runs the queued command: the batch is applied, its reply lost.
    assert await eventually_stored(client, CounterName.API_CALLS, at_least=6) == 6
    metrics.incr(CounterName.API_CALLS, 2)
    await metrics.flush()  # sends that batch again, then the new one
    assert int(await client.hget(STATS_KEY, CounterName.API_CALLS.value) or 0) == 8
    assert (await metrics.totals())[CounterName.API_CALLS] == 8


async def eventually_stored(
    client: Redis, counter: CounterName, within_s: float = 3.0, at_least: int = 1
) -> int:
    deadline = time.monotonic() + within_s
    while int(await client.hget(STATS_KEY, counter.value) or 0) < at_least:
        assert time.monotonic() < deadline, "the background flush never landed"
        await asyncio.sleep(0.02)
    return int(await client.hget(STATS_KEY, counter.value) or 0)
