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


def part(body: bytes = b'{"latitude":52.52}', *, status: int = 200, fence: int = 0) -> StoredPart:
    return StoredPart(
        body=body,
        fetched_at=NOW,
        fresh_until=NOW + 900.25,
        stale_until=NOW + 86_400,
        provider="open-meteo",
        status=status,
        fence=fence,
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


# Fences: Redis' clock in epoch milliseconds, as a lease grants them.
FENCE = 1_765_000_000_123


@pytest.mark.parametrize(
    ("offset", "kept"),
    [(-1, "older"), (0, "newer"), (1, "newer")],
    ids=["lower fence refused", "equal fence replaces", "higher fence replaces"],
)
async def test_a_part_replaces_the_stored_one_unless_its_fence_is_lower(
    store: AnyStore, offset: int, kept: str
) -> None:
    older = part(b"older", fence=FENCE)
    newer = part(b"newer", fence=FENCE + offset)
    await store.put("gw:f", older, 60)
    held = await store.put("gw:f", newer, 60)
    expected = newer if kept == "newer" else older
    assert held == expected  # the write answers with the part the store now holds
    assert await store.get_many(["gw:f"]) == [expected]
    assert store.last_good("gw:f") == expected


@pytest.mark.parametrize("fence", [5, 200, 60_000, 4_000_000_000, FENCE])
async def test_a_fence_of_every_width_is_read_back_where_it_is_stored(
    store: AnyStore, fence: int
) -> None:
    """msgpack writes a number in 1, 2, 3, 5 or 9 bytes: the write script reads each."""
    await store.put("gw:w", part(b"held", fence=fence), 60)
    assert await store.put("gw:w", part(b"lower", fence=fence - 1), 60) == part(
        b"held", fence=fence
    )
    assert await store.put("gw:w", part(b"equal", fence=fence), 60) == part(b"equal", fence=fence)


async def test_a_part_without_a_fence_is_read_and_replaced_by_a_fenced_one(
    store: AnyStore,
) -> None:
    unfenced = part(b"written before fences")
    await store.put("gw:u", unfenced, 60)
    assert await store.get_many(["gw:u"]) == [unfenced]
    fenced = part(b"fenced", fence=FENCE)
    assert await store.put("gw:u", fenced, 60) == fenced
    assert await store.get_many(["gw:u"]) == [fenced]
    # And a part without a fence (a process not yet upgraded) does not replace a fenced one.
    assert await store.put("gw:u", unfenced, 60) == fenced
    assert await store.get_many(["gw:u"]) == [fenced]


async def test_a_batch_decides_each_part_on_its_own(store: AnyStore) -> None:
    stored = {f"gw:b{n}": part(f"stored {n}".encode(), fence=FENCE) for n in range(6)}
    for key, held in stored.items():
        await store.put(key, held, 60)
    offsets = [-1, 1, 0, -1000, 1000, -1]
    batch = [
        (key, part(f"late {n}".encode(), fence=FENCE + offset), 60.0)
        for n, (key, offset) in enumerate(zip(stored, offsets, strict=True))
    ]
    kept = await store.put_many([*batch, ("gw:new", part(b"first", fence=1), 60.0)])
    expected = [
        held if offset < 0 else late
        for (_, late, _), held, offset in zip(batch, stored.values(), offsets, strict=True)
    ]
    assert kept == [*expected, part(b"first", fence=1)]
    assert await store.get_many([*stored, "gw:new"]) == kept
    assert [store.last_good(key) for key in [*stored, "gw:new"]] == kept


async def test_a_part_past_its_stale_end_protects_nothing(store: AnyStore, elapse: Elapse) -> None:
    await store.put("gw:gone", part(b"newer", fence=FENCE), 0.2)
    await elapse(0.4)
    older = part(b"older", fence=FENCE - 1)
    assert await store.put("gw:gone", older, 60) == older
    assert await store.get_many(["gw:gone"]) == [older]


async def test_a_last_good_copy_is_not_replaced_by_an_older_read_or_write(
    store: AnyStore, elapse: Elapse
) -> None:
    await store.put("gw:lg", part(b"newer", fence=FENCE), 0.2)
    await elapse(0.4)  # the store forgets it; this process's last good copy does not
    await store.put("gw:lg", part(b"older", fence=FENCE - 1), 60)
    assert await store.get_many(["gw:lg"]) == [part(b"older", fence=FENCE - 1)]
    assert store.last_good("gw:lg") == part(b"newer", fence=FENCE)


def test_the_last_good_copy_yields_once_past_its_stale_end() -> None:
    held = part(b"newer", fence=FENCE)
    late = StoredPart(
        body=b"older fence, fetched after the held part's stale end",
        fetched_at=held.stale_until,
        fresh_until=held.stale_until + 900,
        stale_until=held.stale_until + 86_400,
        fence=FENCE - 1,
    )
    just_before = StoredPart(
        body=late.body,
        fetched_at=held.stale_until - 0.001,
        fresh_until=late.fresh_until,
        stale_until=late.stale_until,
        fence=FENCE - 1,
    )
    assert late.replaces(held)
    assert not just_before.replaces(held)


@pytest.mark.integration
async def test_the_fence_is_read_without_the_body_and_after_a_long_provider(
    redis_client: Redis,
) -> None:
    """The write script reads the envelope's head and the bytes after the body: a body at
    the size bound, and a head longer than a fixstr, still find their fence."""
    store = RedisPartStore(redis_client)
    big = StoredPart(
        body=b"x" * MAX_PART_BYTES,
        fetched_at=NOW,
        fresh_until=NOW + 1,
        stale_until=NOW + 2,
        provider="p" * 40,
        fence=FENCE,
    )
    await store.put("gw:big", big, 60)
    assert await store.put("gw:big", part(b"older", fence=FENCE - 1), 60) == big
    assert await store.put("gw:big", part(b"newer", fence=FENCE + 1), 60) == part(
        b"newer", fence=FENCE + 1
    )


@pytest.mark.integration
@pytest.mark.parametrize("held", [b"", b"not msgpack", b"\x98\x01\xff"])
async def test_an_unreadable_stored_value_is_replaced(redis_client: Redis, held: bytes) -> None:
    store = RedisPartStore(redis_client)
    await redis_client.set(part_name("gw:junk"), held)
    fenced = part(fence=FENCE)
    assert await store.put("gw:junk", fenced, 60) == fenced
    assert await store.get_many(["gw:junk"]) == [fenced]
