"""The gateway PartStore contract, held by the in-memory and the Redis adapter (one node,
Valkey, Sentinel and Cluster) alike."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.metrics import MemoryMetrics
from adapters.redis.gateway_store import RedisPartStore, part_name
from domain.model.counters import CounterName
from domain.model.gateway_part import MAX_PART_BYTES, StoredPart
from tests.contract.elapse import Elapse
from tests.contract.servers import REDIS_CLIENTS, REDIS_SERVERS
from tests.unit.fakes import FakeClock

AnyStore = MemoryPartStore | RedisPartStore

# Millisecond-exact times: the Redis envelope keeps times to the millisecond.
NOW = 1_717_243_200.125


@pytest.fixture(params=["memory", *REDIS_SERVERS])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> AnyStore:
    if request.param == "memory":
        return MemoryPartStore(clock=clock)
    return RedisPartStore(request.getfixturevalue(REDIS_CLIENTS[request.param]))


def part(body: bytes = b'{"latitude":52.52}', *, status: int = 200) -> StoredPart:
    return StoredPart(
        body=body,
        fetched_at=NOW,
        fresh_until=NOW + 900.25,
        stale_until=NOW + 86_400,
        provider="open-meteo",
        status=status,
    )


async def test_unknown_keys_are_misses_in_the_order_asked(store: AnyStore) -> None:
    assert await store.get_many(["gw:a", "gw:b"]) == [None, None]
    assert await store.get_many([]) == []


async def test_a_part_comes_back_with_every_field(store: AnyStore) -> None:
    stored = part(b"\x10\x00\x00\x00flatbuffers\x00\xff")
    await store.put("gw:one", stored, 60)
    assert await store.get_many(["gw:one"]) == [stored]


async def test_many_keys_across_slots_are_read_in_order_with_repeats(store: AnyStore) -> None:
    keys = [f"gw:{n:04d}" for n in range(40)]
    for n, key in enumerate(keys):
        if n % 3:
            await store.put(key, part(f"{n}".encode()), 60)
    asked = [*keys, keys[1], keys[0]]
    found = await store.get_many(asked)
    expected = [part(f"{n}".encode()) if n % 3 else None for n in range(40)]
    assert found == [*expected, expected[1], expected[0]]


async def test_a_part_is_gone_after_its_ttl(store: AnyStore, elapse: Elapse) -> None:
    await store.put("gw:short", part(), 0.2)
    await elapse(0.4)
    assert await store.get_many(["gw:short"]) == [None]


async def test_a_remembered_refusal_keeps_its_status(store: AnyStore) -> None:
    refused = part(b'{"error":true,"reason":"x"}', status=400)
    await store.put("gw:query", refused, 60)
    assert await store.get_many(["gw:query"]) == [refused]
    assert store.last_good("gw:query") is None  # a refusal is no location's answer


async def test_the_last_good_answer_outlives_the_stored_copy(
    store: AnyStore, elapse: Elapse
) -> None:
    await store.put("gw:kept", part(), 0.2)
    await elapse(0.4)
    assert await store.get_many(["gw:kept"]) == [None]
    assert store.last_good("gw:kept") == part()


async def test_a_part_just_within_the_size_bound_is_kept_and_one_above_is_not(
    store: AnyStore,
) -> None:
    await store.put("gw:edge", part(b"x" * MAX_PART_BYTES), 60)
    await store.put("gw:over", part(b"x" * (MAX_PART_BYTES + 1)), 60)
    edge, over = await store.get_many(["gw:edge", "gw:over"])
    assert edge is not None and len(edge.body) == MAX_PART_BYTES
    assert over is None


@pytest.mark.integration
@pytest.mark.parametrize("garbage", [b"", b"not msgpack", b"\x93\x01\x02\x03"])
async def test_an_unreadable_value_is_a_counted_miss(redis_client: Redis, garbage: bytes) -> None:
    metrics = MemoryMetrics()
    store = RedisPartStore(redis_client, metrics=metrics)
    await redis_client.set(part_name("gw:bad"), garbage)
    assert await store.get_many(["gw:bad"]) == [None]
    assert (await metrics.totals())[CounterName.CORRUPT_ENTRIES] == 1
