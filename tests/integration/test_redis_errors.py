"""Every Redis adapter, on one node, a cluster or a Sentinel set, fails as CacheUnavailable
when Redis cannot be reached: no redis-py exception crosses a port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from adapters.redis.breaker import RedisBreaker
from adapters.redis.breaker_stores import BreakerCache
from adapters.redis.budget import RedisWindows
from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from adapters.redis.errors import unavailable_on_error
from adapters.redis.gateway_store import RedisPartStore
from adapters.redis.lock import RedisLock
from adapters.redis.metrics import RedisMetrics
from adapters.redis.topology import RedisClient, RedisTopology
from adapters.system_clock import SystemClock
from domain.model.counters import CounterName
from domain.model.entry import CacheEntry
from domain.model.errors import CacheUnavailable
from domain.model.gateway_part import StoredPart
from domain.model.weather import Location
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

ENTRY = CacheEntry(weather=None, fetched_at=1.0, fresh_until=2.0, stale_until=3.0)
OSLO = Location(name="Oslo", latitude=59.91, longitude=10.75, country="NO")
PART = StoredPart(body=b"{}", fetched_at=1.0, fresh_until=2.0, stale_until=3.0)


def unreachable(mode: str) -> RedisTopology:
    """Nothing listens on the port: every connection is refused at once."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    if mode == "cluster":
        return RedisTopology(url, cluster_nodes=(("127.0.0.1", port),))
    if mode == "sentinel":
        return RedisTopology(url, sentinels=(("127.0.0.1", port),), sentinel_master="skycache")
    return RedisTopology(url)


@pytest.fixture(params=["single", "cluster", "sentinel"])
async def gone(request: pytest.FixtureRequest) -> AsyncIterator[RedisClient]:
    client = create_redis_client(unreachable(request.param), timeout_s=0.5)
    try:
        yield client
    finally:
        await client.aclose()


def _behind_breaker(client: RedisClient) -> BreakerCache:
    cache = RedisCache(client)
    return BreakerCache(cache, cache, RedisBreaker(clock=SystemClock(), failures=100))


def _windows(client: RedisClient) -> RedisWindows:
    return RedisWindows(client, probe_every_s=60)


CALLS: dict[str, Callable[[RedisClient], Awaitable[object]]] = {
    "cache get": lambda c: RedisCache(c).get("oslo"),
    "cache put": lambda c: RedisCache(c).put("oslo", ENTRY, 60),
    "cache delete": lambda c: RedisCache(c).delete("oslo"),
    "location get": lambda c: RedisCache(c).get_location("oslo"),
    "location put": lambda c: RedisCache(c).put_location("oslo", OSLO, 60),
    "breaker cache get": lambda c: _behind_breaker(c).get("oslo"),
    "breaker location put": lambda c: _behind_breaker(c).put_location("oslo", OSLO, 60),
    "lock acquire": lambda c: RedisLock(c, subscribe_timeout_s=0.2).acquire("oslo", 5),
    "part store read": lambda c: RedisPartStore(c).get_many(["k1"]),
    "part store write": lambda c: RedisPartStore(c).put("k1", PART, 60),
    "budget close": lambda c: _windows(c).close("open-meteo", until=10.0, now=1.0),
    "budget reopen": lambda c: _windows(c).reopen("open-meteo"),
}


@pytest.mark.parametrize("call", CALLS)
async def test_each_adapter_call_fails_as_cache_unavailable(gone: RedisClient, call: str) -> None:
    with pytest.raises(CacheUnavailable, match=r"^redis .* failed: \w+$"):
        await CALLS[call](gone)


async def test_the_health_check_says_down_rather_than_raising(gone: RedisClient) -> None:
    # On a cluster none of whose nodes answers, redis-py raises RedisClusterException,
    # which is not a RedisError: the health check must still answer False.
    assert await RedisCache(gone).ping() is False


async def test_metrics_keep_their_counts_when_redis_cannot_be_reached(gone: RedisClient) -> None:
    metrics = RedisMetrics(gone)
    metrics.incr(CounterName.CACHE_HITS, 2)
    await metrics.flush()  # refused, kept for the next flush
    assert (await metrics.totals())[CounterName.CACHE_HITS] == 2


def test_an_error_that_is_not_redis_passes_through_untranslated() -> None:
    with pytest.raises(KeyError), unavailable_on_error("GET"):
        raise KeyError("a bug, not an outage")
