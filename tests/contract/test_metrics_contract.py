"""The Metrics contract, held by the in-memory and the Redis adapter alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.memory_metrics import MemoryMetrics
from adapters.redis_metrics import RedisMetrics
from domain.outcome import Counter
from ports.metrics import Metrics


@pytest.fixture
async def redis_workers(redis_client: Redis) -> AsyncIterator[list[Metrics]]:
    """Two workers sharing one Redis, as two processes would."""
    workers = [RedisMetrics(redis_client), RedisMetrics(redis_client)]
    yield list(workers)
    for worker in workers:
        await worker.stop()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def workers(request: pytest.FixtureRequest) -> list[Metrics]:
    """Every Metrics instance sharing one backend; the in-memory one is per process."""
    if request.param == "memory":
        return [MemoryMetrics()]
    workers: list[Metrics] = request.getfixturevalue("redis_workers")
    return workers


async def test_nothing_counted_is_zero(workers: list[Metrics]) -> None:
    totals = await workers[0].totals()
    assert all(totals.get(counter, 0) == 0 for counter in Counter)


async def test_counts_are_exact_and_summed_over_every_worker(workers: list[Metrics]) -> None:
    first, last = workers[0], workers[-1]
    for _ in range(3):
        first.incr(Counter.CACHE_HITS)
    last.incr(Counter.CACHE_HITS, 2)
    last.incr(Counter.API_CALLS)
    for worker in workers:
        await worker.flush()
    for worker in workers:
        totals = await worker.totals()
        assert totals.get(Counter.CACHE_HITS) == 5
        assert totals.get(Counter.API_CALLS) == 1
        assert totals.get(Counter.CACHE_MISSES, 0) == 0


async def test_totals_include_what_was_not_flushed_yet(workers: list[Metrics]) -> None:
    workers[0].incr(Counter.CACHE_MISSES, 4)
    assert (await workers[0].totals()).get(Counter.CACHE_MISSES) == 4


async def test_a_flush_sends_each_count_once(workers: list[Metrics]) -> None:
    workers[0].incr(Counter.STALE_SERVED)
    await workers[0].flush()
    await workers[0].flush()
    assert (await workers[-1].totals()).get(Counter.STALE_SERVED) == 1
