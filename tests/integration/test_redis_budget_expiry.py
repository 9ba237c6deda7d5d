"""When the budget's one hash per name gets its expiry: made, a new long bucket, a closure."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.redis.budget import Ask, RedisWindows
from adapters.redis.budget_windows import Ceiling, Closure, Mine
from domain.model.admission import BudgetLimit

pytestmark = pytest.mark.integration

MINUTE = Ceiling(BudgetLimit(100, 60.0, "minute"), 100)  # buckets of 1 s
DAY = Ceiling(BudgetLimit(1000, 86_400.0, "day"), 1000)  # buckets of 1440 s
KEY = "t:{open-meteo}:windows"
MARK = 30_000  # shorter than any expiry a spend here sets: one that extends replaces it
NOW = 1_440_000.0  # the start of a day bucket (and of a minute one)


def ask(*ceilings: Ceiling) -> Ask:
    return Ask(ceilings, ceilings, Mine(tuple(() for _ in ceilings)), shares=1)


async def extends(redis: Redis, windows: RedisWindows, at: float, *ceilings: Ceiling) -> bool:
    await redis.pexpire(KEY, MARK)
    assert (await windows.spend("open-meteo", ask(*ceilings), at)).granted
    return await redis.pttl(KEY) > MARK


@pytest.fixture
def windows(redis_client: Redis) -> RedisWindows:
    return RedisWindows(redis_client, probe_every_s=600, prefix="t:")


async def test_a_made_hash_expires_a_bucket_after_its_longest_window(
    redis_client: Redis, windows: RedisWindows
) -> None:
    await windows.spend("open-meteo", ask(MINUTE, DAY), NOW)
    assert 87_800_000 < await redis_client.pttl(KEY) <= 87_840_000  # 1 day + 1440 s


async def test_only_a_new_bucket_of_the_longest_window_extends_the_hash(
    redis_client: Redis, windows: RedisWindows
) -> None:
    await windows.spend("open-meteo", ask(MINUTE, DAY), NOW)
    # A new minute bucket, the same day bucket: the day's expiry covers the minute.
    assert not await extends(redis_client, windows, NOW + 1_439.9, MINUTE, DAY)
    assert await extends(redis_client, windows, NOW + 1_440.0, MINUTE, DAY)


async def test_a_window_almost_as_long_as_the_longest_extends_on_its_own_new_buckets(
    redis_client: Redis, windows: RedisWindows
) -> None:
    # The minute's expiry, set less than 1 s ago, outlasts a 59 s window's new bucket
    # from now (59.98 s), not a 59.5 s window's (60.49 s).
    shorter = Ceiling(BudgetLimit(100, 59.0, "shorter"), 100)
    almost = Ceiling(BudgetLimit(100, 59.5, "almost"), 100)
    await windows.spend("open-meteo", ask(MINUTE, shorter, almost), NOW)
    assert not await extends(redis_client, windows, NOW + 0.99, MINUTE, shorter)
    assert await extends(redis_client, windows, NOW + 0.995, MINUTE, almost)


async def test_a_closure_keeps_the_hash_for_as_long_as_it_lasts(
    redis_client: Redis, windows: RedisWindows
) -> None:
    await windows.close("open-meteo", until=NOW + 7_200.0, now=NOW)  # before any window
    assert 7_190_000 < await redis_client.pttl(KEY) <= 7_200_000
    await redis_client.delete(KEY)
    await windows.spend("open-meteo", ask(MINUTE), NOW)
    await windows.close("open-meteo", until=NOW + 7_200.0, now=NOW)
    assert 7_190_000 < await redis_client.pttl(KEY) <= 7_200_000


async def test_a_short_closure_never_shortens_the_windows(
    redis_client: Redis, windows: RedisWindows
) -> None:
    await windows.spend("open-meteo", ask(MINUTE, DAY), NOW)
    await windows.close("open-meteo", until=NOW + 30.0, now=NOW)
    assert await redis_client.pttl(KEY) > 87_800_000
    await windows.reopen("open-meteo")
    assert await redis_client.hmget(KEY, ["until", "probe_at"]) == [None, None]
    assert await redis_client.pttl(KEY) > 87_800_000


async def test_a_spend_while_closed_keeps_the_hash_until_the_closure_ends(
    redis_client: Redis, windows: RedisWindows
) -> None:
    await windows.close("open-meteo", until=NOW + 7_200.0, now=NOW)
    await redis_client.delete(KEY)  # lost: this worker puts its closure back
    closed = Ask((MINUTE,), (MINUTE,), Mine(((),), Closure(NOW + 7_200.0, NOW + 600.0)), 1)
    assert not (await windows.spend("open-meteo", closed, NOW)).granted
    assert 7_190_000 < await redis_client.pttl(KEY) <= 7_200_000


async def test_buckets_that_left_their_window_leave_the_hash(
    redis_client: Redis, windows: RedisWindows
) -> None:
    for second in range(121):
        await windows.spend("open-meteo", ask(MINUTE), NOW + second)
    # The 61 buckets from 60 s before the last spend to it (the oldest counted whole),
    # then `created` and this worker's mark: the hash never grows with time.
    fields = await redis_client.hkeys(KEY)
    assert len(fields) == 63
    assert b"minute:1440060" in fields and b"minute:1440059" not in fields
