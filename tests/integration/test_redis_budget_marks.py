"""Workers' marks in a budget hash: kept while a worker's spend may still count, gone after."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.redis.budget import Ask, RedisWindows
from adapters.redis.budget_windows import Ceiling, Mine
from domain.model.admission import BudgetLimit

pytestmark = pytest.mark.integration

MINUTE = Ceiling(BudgetLimit(100, 60.0, "minute"), 100)  # buckets of 1 s
HOUR = Ceiling(BudgetLimit(1000, 3600.0, "hour"), 1000)  # buckets of 60 s
KEY = "t:{open-meteo}:windows"
NOW = 1_440_000.0
# A mark may go once its worker's last spend is older than the longest window and one
# of its buckets: from then on no bucket of that spend is inside any window.
REACH_S = 3600.0 + 60.0


def ask(buckets: tuple[tuple[tuple[int, int], ...], ...] = ((), ())) -> Ask:
    return Ask((MINUTE, HOUR), (MINUTE, HOUR), Mine(buckets), shares=1)


def worker(redis: Redis) -> RedisWindows:
    return RedisWindows(redis, probe_every_s=600, prefix="t:")


async def marks(redis: Redis) -> set[str]:
    return {f.decode() for f in await redis.hkeys(KEY) if f.startswith(b"w:")}


async def test_a_silent_workers_mark_stays_within_reach_and_goes_after_it(
    redis_client: Redis,
) -> None:
    gone, other = worker(redis_client), worker(redis_client)
    await gone.spend("open-meteo", ask(), NOW)
    await other.spend("open-meteo", ask(), NOW + REACH_S - 0.001)
    assert len(await marks(redis_client)) == 2
    await other.spend("open-meteo", ask(), NOW + REACH_S + 0.001)
    assert len(await marks(redis_client)) == 1


async def test_a_worker_spending_keeps_its_mark_however_old_it_is(redis_client: Redis) -> None:
    steady = worker(redis_client)
    for hour in range(4):  # each spend renews the mark's time
        await steady.spend("open-meteo", ask(), NOW + hour * (REACH_S - 1))
    assert len(await marks(redis_client)) == 1
    assert (await redis_client.hgetall(KEY))[b"minute:%d" % int(NOW + 3 * (REACH_S - 1))] == b"1"


async def test_a_worker_back_after_its_mark_went_puts_back_nothing(redis_client: Redis) -> None:
    """Its own record of spend is all outside the windows, so the count is not doubled."""
    back, other = worker(redis_client), worker(redis_client)
    await back.spend("open-meteo", ask(), NOW)
    await other.spend("open-meteo", ask(), NOW + REACH_S + 1)  # `back`'s mark goes
    hour_bucket = int(NOW // 60)
    spent = (((int(NOW), 1),), ((hour_bucket, 1),))  # what `back` remembers having spent
    verdict = await back.spend("open-meteo", ask(spent), NOW + REACH_S + 2)
    assert verdict.granted
    counts = await redis_client.hgetall(KEY)
    now_bucket = int((NOW + REACH_S + 2) // 60)
    assert counts[b"hour:%d" % now_bucket] == b"2"  # the two spends of this hour, no more
    assert b"hour:%d" % hour_bucket not in counts
    assert len(await marks(redis_client)) == 2


async def test_marks_of_many_restarted_workers_do_not_pile_up(redis_client: Redis) -> None:
    for n in range(50):  # fifty workers, each started, spending once, then gone
        await worker(redis_client).spend("open-meteo", ask(), NOW + n)
    assert len(await marks(redis_client)) == 50
    await worker(redis_client).spend("open-meteo", ask(), NOW + 49 + REACH_S + 0.5)
    assert len(await marks(redis_client)) == 1


async def test_an_older_versions_mark_is_never_pruned(redis_client: Redis) -> None:
    """`1` carries no time: pruning it would make that worker put its spend back again."""
    await worker(redis_client).spend("open-meteo", ask(), NOW)
    await redis_client.hset(KEY, "w:olderversion", "1")
    await worker(redis_client).spend("open-meteo", ask(), NOW + 10 * REACH_S)
    assert "w:olderversion" in await marks(redis_client)
