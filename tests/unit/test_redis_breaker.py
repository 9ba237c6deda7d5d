"""RedisBreaker: fail fast while Redis is down, one probe per cool-down, close on success."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException

from adapters.memory.cache import MemoryCache
from adapters.redis.breaker import RedisBreaker
from adapters.redis.breaker_stores import BreakerCache
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from tests.unit.fakes import FakeClock


class Redis:
    """Counts the calls that got through the breaker."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def call(self, breaker: RedisBreaker) -> str:
        with breaker.call("GET"):
            self.calls += 1
            if not self.up:
                raise RedisConnectionError("refused")
            return "value"


def attempt(redis: Redis, breaker: RedisBreaker) -> str:
    try:
        return redis.call(breaker)
    except CacheUnavailable:
        return "unavailable"


def down_after_opening(breaker: RedisBreaker) -> Redis:
    """A Redis that is down and has failed the three calls that open the breaker."""
    redis = Redis()
    redis.up = False
    for _ in range(3):
        attempt(redis, breaker)
    assert breaker.is_open
    return redis


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(0.0)


@pytest.fixture
def breaker(clock: FakeClock) -> RedisBreaker:
    return RedisBreaker(failures=3, cooldown_s=1.0, clock=clock)


def test_redis_errors_become_cache_unavailable(breaker: RedisBreaker) -> None:
    redis = Redis()
    redis.up = False
    with pytest.raises(CacheUnavailable, match="redis GET failed: ConnectionError"):
        redis.call(breaker)


def test_the_breaker_counts_exactly_what_the_one_translation_calls_a_redis_failure(
    breaker: RedisBreaker,
) -> None:
    for bug in (KeyError("k"), ValueError("v"), KeyError("k")):  # say nothing about Redis
        with pytest.raises(type(bug)), breaker.call("GET"):
            raise bug
    assert not breaker.is_open
    # Already translated by a wrapped adapter, a cluster with no node, a socket: failures.
    for failure in (CacheUnavailable("inner"), RedisClusterException("no node")):
        with pytest.raises(CacheUnavailable), breaker.call("GET"):
            raise failure
    assert not breaker.is_open  # just inside: two failures of three
    socket = pytest.raises(CacheUnavailable, match="failed: ConnectionResetError")
    with socket, breaker.call("GET"):
        raise ConnectionResetError
    assert breaker.is_open


def test_after_k_failures_redis_is_not_called_until_the_cool_down_ends(
    breaker: RedisBreaker, clock: FakeClock
) -> None:
    redis = Redis()
    redis.up = False
    results = [attempt(redis, breaker) for _ in range(10)]
    assert results == ["unavailable"] * 10
    assert redis.calls == 3
    assert breaker.is_open
    clock.advance(0.99)
    attempt(redis, breaker)
    assert redis.calls == 3


def test_one_probe_after_the_cool_down_closes_the_breaker_when_redis_is_back(
    breaker: RedisBreaker, clock: FakeClock
) -> None:
    redis = down_after_opening(breaker)
    redis.up = True
    clock.advance(1.0)
    assert attempt(redis, breaker) == "value"
    assert not breaker.is_open
    assert [attempt(redis, breaker) for _ in range(5)] == ["value"] * 5
    assert redis.calls == 3 + 6


def test_a_failed_probe_opens_the_breaker_for_another_cool_down(
    breaker: RedisBreaker, clock: FakeClock
) -> None:
    redis = down_after_opening(breaker)
    clock.advance(1.0)
    attempt(redis, breaker)  # the probe
    clock.advance(0.5)
    attempt(redis, breaker)
    assert redis.calls == 4
    clock.advance(0.5)
    attempt(redis, breaker)
    assert redis.calls == 5


def test_while_a_probe_is_in_flight_other_calls_fail_fast(
    breaker: RedisBreaker, clock: FakeClock
) -> None:
    for _ in range(3):
        breaker.failed()
    clock.advance(1.0)
    # While the first call (the probe) runs, a second caller does not probe too.
    with (
        breaker.call("GET"),
        pytest.raises(CacheUnavailable, match="breaker open"),
        breaker.call("GET"),
    ):
        pass
    assert not breaker.is_open


def test_a_cancelled_probe_lets_the_next_call_probe(
    breaker: RedisBreaker, clock: FakeClock
) -> None:
    for _ in range(3):
        breaker.failed()
    clock.advance(1.0)
    with pytest.raises(KeyboardInterrupt), breaker.call("GET"):
        raise KeyboardInterrupt
    redis = Redis()
    assert attempt(redis, breaker) == "value"


def test_a_success_between_failures_resets_the_count(breaker: RedisBreaker) -> None:
    redis = Redis()
    for up in (False, False, True, False, False):
        redis.up = up
        attempt(redis, breaker)
    assert not breaker.is_open


async def test_a_purge_while_the_breaker_is_open_fails_fast_and_deletes_nothing(
    breaker: RedisBreaker,
) -> None:
    shared = MemoryCache(clock=FakeClock())
    entry = CacheEntry(weather=None, fetched_at=0.0, fresh_until=600.0, stale_until=900.0)
    await shared.put("boise", entry, ttl_s=600)
    guarded = BreakerCache(shared, shared, breaker)
    for _ in range(3):
        breaker.failed()
    with pytest.raises(CacheUnavailable, match="breaker open"):
        await guarded.delete("boise")
    assert await shared.get("boise") == entry
    breaker.succeeded()
    await guarded.delete("boise")
    assert await shared.get("boise") is None
