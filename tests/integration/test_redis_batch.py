"""BatchedGets against a real Redis: concurrent reads share one MGET, errors reach all."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from adapters.redis.batch import BatchedGets
from adapters.redis.cache import RedisCache
from adapters.redis.client import create_redis_client
from domain.model.errors import CacheUnavailable
from tests.support.fake_open_meteo import closed_port_url

pytestmark = pytest.mark.integration


async def _calls(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("get", "mget")}


@pytest.fixture
async def abc_set(redis_client: Redis) -> dict[str, int]:
    """Keys a, b and c in Redis; the command counts from just after they were set."""
    await redis_client.mset({"a": b"1", "b": b"2", "c": b"3"})
    return await _calls(redis_client)


async def _assert_one_mget_and_no_get_since(redis: Redis, before: dict[str, int]) -> None:
    after = await _calls(redis)
    assert after["mget"] - before["mget"] == 1
    assert after["get"] == before["get"]


async def test_concurrent_reads_share_one_mget_and_each_gets_its_own_value(
    redis_client: Redis, abc_set: dict[str, int]
) -> None:
    gets = BatchedGets(redis_client)
    values = await asyncio.gather(*(gets.get(key) for key in ("c", "missing", "a", "b", "a")))
    assert values == [b"3", None, b"1", b"2", b"1"]
    await _assert_one_mget_and_no_get_since(redis_client, abc_set)


async def test_a_lone_read_is_a_plain_get(redis_client: Redis) -> None:
    await redis_client.set("a", b"1")
    before = await _calls(redis_client)
    assert await BatchedGets(redis_client).get("a") == b"1"
    after = await _calls(redis_client)
    assert (after["get"] - before["get"], after["mget"] - before["mget"]) == (1, 0)


async def test_a_client_that_decodes_replies_still_reads_bytes_alone_and_batched(
    redis_client: Redis, redis_url: str
) -> None:
    await redis_client.mset({"a": b"1", "b": b"2"})
    decoding = Redis.from_url(redis_url, decode_responses=True)
    try:
        gets = BatchedGets(decoding)
        assert await gets.get("a") == b"1"
        assert await asyncio.gather(gets.get("a"), gets.get("b")) == [b"1", b"2"]
    finally:
        await decoding.aclose()


async def test_a_cancelled_reader_leaves_the_others_their_answers(redis_client: Redis) -> None:
    await redis_client.mset({"a": b"1", "b": b"2"})
    gets = BatchedGets(redis_client)
    first = asyncio.ensure_future(gets.get("a"))
    gone = asyncio.ensure_future(gets.get("b"))
    await asyncio.sleep(0)  # both are waiting, the batch not yet sent
    gone.cancel()
    assert await first == b"1"
    assert gone.cancelled()


async def test_a_failed_batch_is_every_readers_cache_unavailable() -> None:
    url = closed_port_url().replace("http://", "redis://") + "/0"
    client = create_redis_client(url, timeout_s=0.5, connect_timeout_s=0.5)
    cache = RedisCache(client)
    try:
        results = await asyncio.gather(
            *(cache.get(city) for city in ("boise", "eugene", "topeka")), return_exceptions=True
        )
    finally:
        await client.aclose()
    assert [type(r) for r in results] == [CacheUnavailable] * 3


async def test_concurrent_requests_for_many_keys_share_one_mget_in_order(
    redis_client: Redis, abc_set: dict[str, int]
) -> None:
    gets = BatchedGets(redis_client)
    asked = [["c", "missing", "a"], ["b", "a"], ["a"]]
    values = await asyncio.gather(*(gets.get_many(keys) for keys in asked))
    assert values == [[b"3", None, b"1"], [b"2", b"1"], [b"1"]]
    await _assert_one_mget_and_no_get_since(redis_client, abc_set)
    assert await gets.get_many([]) == []
