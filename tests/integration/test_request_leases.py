"""RATE_LIMIT's leases over one real Redis, as two workers share it: exactly the limit is
admitted across both, with far fewer Redis calls than requests."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.redis.breaker import RedisBreaker
from adapters.redis.budget import RedisWindows
from adapters.redis.keys import RATE_LIMIT_PREFIX
from adapters.redis.request_leases import LeasedRequestLimit
from adapters.redis.shared_budget import SharedWindows
from domain.model.admission import BudgetLimit
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

CLIENT = "10.0.0.1"


def workers(redis: Redis, clock: FakeClock, calls: int) -> list[LeasedRequestLimit]:
    """Two workers of one instance, each with its own windows over the same Redis."""
    limit = BudgetLimit(calls, 60.0, "minute")
    return [
        LeasedRequestLimit(
            limit,
            SharedWindows(
                shares=2,
                redis=RedisWindows(
                    redis, probe_every_s=600, prefix=RATE_LIMIT_PREFIX, settle=False
                ),
                breaker=RedisBreaker(clock=clock),
            ),
            clock,
        )
        for _ in range(2)
    ]


async def alternating(limits: list[LeasedRequestLimit], requests: int) -> list[float | None]:
    """`requests` from one client, taking turns between the workers (new connections)."""
    return [await limits[n % len(limits)].admit(CLIENT) for n in range(requests)]


async def _scripts_run(redis: Redis) -> int:
    """Round trips to Redis: each lease taken or given back is one script."""
    stats = await redis.info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval")
    )


async def test_exactly_the_limit_is_admitted_across_two_workers_then_one_more_is_refused(
    redis_client: Redis,
) -> None:
    clock = FakeClock()
    verdicts = await alternating(workers(redis_client, clock, 5), 6)
    assert verdicts[:5] == [None] * 5
    refused = verdicts[5]
    # Until its first request leaves the window, counted whole in its 1 s bucket.
    assert refused is not None and 0 < refused <= 61
    assert await redis_client.keys(f"{RATE_LIMIT_PREFIX}{{{CLIENT}}}:windows")


async def test_a_busy_client_costs_few_redis_calls_and_gets_exactly_its_limit(
    redis_client: Redis,
) -> None:
    limits = workers(redis_client, FakeClock(), 1_000)
    before = await _scripts_run(redis_client)
    verdicts = await alternating(limits, 1_200)
    spent = await _scripts_run(redis_client) - before
    assert verdicts.count(None) == 1_000  # the last of them from the other worker's lease
    assert all(v is not None for v in verdicts[-100:])
    # Leases double from 1 to 50 (the limit ÷ 10 ÷ 2 workers): ~50 calls, not 1,200.
    assert spent < 100


async def test_what_a_worker_leased_and_did_not_use_goes_back_to_the_others(
    redis_client: Redis,
) -> None:
    clock = FakeClock(1_000_000.0)
    first, second = workers(redis_client, clock, 100)  # leases of at most 5
    assert await alternating([first], 8) == [None] * 8  # leases 1, 2, 4, then 1 of 5
    assert (await alternating([second], 100)).count(None) == 88  # 100 - 12 counted
    clock.advance(5.5)  # the first worker's lease has ended, its window has not
    assert await first.admit(CLIENT) is None  # gives back 4 unused, takes 1
    assert (await alternating([second], 10)).count(None) == 3  # 100 in all, never more


async def test_each_client_has_its_own_count(redis_client: Redis) -> None:
    first, _ = workers(redis_client, FakeClock(), 2)
    assert [await first.admit(ip) for ip in ("10.0.0.1", "10.0.0.2")] == [None, None]
    assert await first.admit("10.0.0.1") is None
    assert await first.admit("10.0.0.1") is not None
    assert await first.admit("10.0.0.2") is None


async def test_the_most_a_window_span_admits_over_the_limit_is_what_leases_held_at_its_start(
    redis_client: Redis,
) -> None:
    clock = FakeClock(1_000_000.0)
    limits = workers(redis_client, clock, 100)  # leases of at most 5 each
    for worker in limits:
        assert await alternating([worker], 8) == [None] * 8  # 12 counted, 4 held unused
    clock.advance(4.9)  # a span of the window begins; the held 8 are used in it
    assert await alternating(limits, 8) == [None] * 8
    clock.advance(56.6)  # the window has forgotten the second they were counted in
    in_span = 8 + (await alternating(limits, 200)).count(None)
    assert in_span == 108  # over by what the leases held: at most a tenth of the limit
