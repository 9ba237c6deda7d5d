"""Counting a client's connections as the server sees them (CLIENT LIST)."""

from __future__ import annotations

import asyncio
import uuid

from redis import Redis as SyncRedis

from adapters.redis.client import WARM_CONNECTIONS
from adapters.redis.topology import RedisClient

# Connections a test's burst opens: more than a pool keeps warm.
BURST = WARM_CONNECTIONS + 12


def connections_named(port: int, name: str, *, blocked: bool = False) -> int:
    """The connections to 127.0.0.1:`port` from clients that named themselves `name`
    (only those blocked in a command such as BLPOP, if `blocked`)."""
    with SyncRedis(port=port, socket_timeout=5.0) as node:
        listed = [each for each in node.client_list() if each.get("name") == name]
    return sum(1 for each in listed if not blocked or "b" in each.get("flags", ""))


async def burst(
    client: RedisClient, at_once: int, *, wait_s: float = 0.1, key: str | None = None
) -> None:
    """`at_once` commands that each hold a connection `wait_s`: as many connections open."""
    key = key or f"burst-{uuid.uuid4().hex[:8]}"
    answers = await asyncio.gather(*(client.blpop([key], wait_s) for _ in range(at_once)))
    assert answers == [None] * at_once  # every one answered
