"""RedisMetrics against a real Redis: numbered batches, and flushes that end under load."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from adapters.redis.metrics import APPLIED_PREFIX, APPLIED_TTL_MS, RedisMetrics
from domain.model.counters import CounterName

pytestmark = pytest.mark.integration


async def test_each_worker_keeps_one_expiring_batch_number(redis_client: Redis) -> None:
    workers = [RedisMetrics(redis_client), RedisMetrics(redis_client)]
    for worker in workers:
        for _ in range(3):
            worker.incr(CounterName.CACHE_HITS)
            await worker.flush()
    keys = await redis_client.keys(APPLIED_PREFIX + "*")
    assert len(keys) == 2
    for key in keys:
        assert int(await redis_client.get(key)) == 3
        assert 0 < await redis_client.pttl(key) <= APPLIED_TTL_MS
    assert (await workers[0].totals())[CounterName.CACHE_HITS] == 6


async def test_a_flush_sends_one_batch_while_counts_keep_coming(redis_client: Redis) -> None:
    # A flush sends what was counted when it began; what comes meanwhile waits for the
    # next one, or a busy worker would flush in a loop for as long as its load lasts.
    metrics = RedisMetrics(redis_client)
    counted = 0
    flushed = False

    async def keep_counting() -> None:
        nonlocal counted
        for _ in range(20_000):  # bounded, should the flush never end
            if flushed:
                return
            metrics.incr(CounterName.CACHE_HITS)
            counted += 1
            await asyncio.sleep(0)

    counting = asyncio.create_task(keep_counting())
    await asyncio.sleep(0.01)
    await metrics.flush()
    flushed = True
    await counting
    [applied] = await redis_client.keys(APPLIED_PREFIX + "*")
    assert int(await redis_client.get(applied)) == 1  # batches sent by that flush
    await metrics.flush()
    assert 0 < counted < 20_000
    assert (await RedisMetrics(redis_client).totals())[CounterName.CACHE_HITS] == counted
