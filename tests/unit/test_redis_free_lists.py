"""The free lists of redis-py's pools, watched: these fail first if redis-py changes how
its pools take, return or count connections (the private attributes free_lists.py uses)."""

from __future__ import annotations

import pytest
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.cluster import ClusterNode

from adapters.redis.free_lists import close_unneeded, surplus

# Nothing here connects: redis-py opens a socket only when a command is sent.
HOST, PORT = "127.0.0.1", 9


@pytest.mark.parametrize(
    ("low", "held", "floor", "closed"),
    [
        (0, 20, 8, 0),  # every connection was needed at one moment
        (12, 20, 8, 12),  # 12 never needed: 8 remain
        (13, 20, 8, 12),  # 13 never needed, but the floor stays
        (20, 20, 8, 12),
        (5, 8, 8, 0),  # at the floor
        (3, 5, 8, 0),  # below it (a pool that never warmed up)
    ],
)
def test_what_stood_free_all_period_is_closed_down_to_the_floor(
    low: int, held: int, floor: int, closed: int
) -> None:
    assert surplus(low, held, floor) == closed


async def test_a_pool_notes_the_fewest_free_as_redis_py_takes_and_returns_connections() -> None:
    pool = BlockingConnectionPool(max_connections=10, host=HOST, port=PORT)
    taken = [pool.get_available_connection() for _ in range(5)]
    for connection in taken:
        await pool.release(connection)
    assert await close_unneeded(pool, floor=0) == 0  # first seen: watching starts
    again = [pool.get_available_connection() for _ in range(2)]  # the fewest free: 3
    for connection in again:
        await pool.release(connection)
    assert await close_unneeded(pool, floor=0) == 3
    assert len(pool._available_connections) == 2 and not pool._in_use_connections
    # the two kept are the two used last: a last-in-first-out list loses its bottom
    assert set(pool._available_connections) == set(again)
    await pool.aclose()


async def test_a_pool_closes_nothing_in_a_period_that_needed_every_connection() -> None:
    pool = BlockingConnectionPool(max_connections=10, host=HOST, port=PORT)
    await close_unneeded(pool, floor=0)
    held = [pool.get_available_connection() for _ in range(4)]  # none free: each one new
    for connection in held[:3]:
        await pool.release(connection)
    assert await close_unneeded(pool, floor=0) == 0
    assert await close_unneeded(pool, floor=0) == 3  # one still in use: never closed
    assert pool._in_use_connections == {held[3]}
    await pool.aclose()


async def test_a_cluster_node_notes_the_fewest_free_and_forgets_what_it_closed() -> None:
    node = ClusterNode(HOST, PORT, max_connections=10)
    taken = [node.acquire_connection() for _ in range(5)]
    for connection in taken:
        node.release(connection)
    assert await close_unneeded(node, floor=0) == 0
    assert node._free.maxlen == 10  # the node's bound on its free queue is kept
    node.release(node.acquire_connection())  # the fewest free: 4
    assert await close_unneeded(node, floor=1) == 4
    assert len(node._free) == 1 and node._connections == list(node._free)
    # a node counts what it holds by `_connections`: what it forgot, it may open again
    assert [node.acquire_connection() for _ in range(10)]
    await node.disconnect()
