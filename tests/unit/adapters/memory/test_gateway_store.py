"""MemoryPartStore drops a part at its expiry on a later write, read or not; last good stays."""

from __future__ import annotations

from adapters.memory.gateway_store import MemoryPartStore
from tests.contract.test_gateway_store_contract import part
from tests.unit.fakes import FakeClock


async def test_a_part_is_held_until_its_ttl_and_dropped_at_it_by_another_write() -> None:
    clock = FakeClock()
    store = MemoryPartStore(clock=clock)
    await store.put("once", part(), ttl_s=60)
    clock.advance(59.999)
    await store.put("other", part(), ttl_s=3_600)
    assert len(store._parts) == 2
    clock.advance(0.001)
    await store.put("other", part(), ttl_s=3_600)
    assert len(store._parts) == 1
    assert store.last_good("once") is not None  # the last good copy is not a TTL's


async def test_distinct_points_each_expiring_leave_only_the_live_ones() -> None:
    clock = FakeClock()
    store = MemoryPartStore(clock=clock, max_items=10_000)
    for n in range(2_000):
        await store.put(f"point{n}", part(), ttl_s=60)
        clock.advance(1)
    assert len(store._parts) == 60
