"""Where Redis is: one node (REDIS_URL), a Redis Cluster, or a Sentinel-watched primary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisClusterException

from adapters.redis.keys import weather_key

# What every Redis adapter is given: one node's client, or a cluster's (same commands).
RedisClient: TypeAlias = Redis | RedisCluster

Mode = Literal["single", "cluster", "sentinel"]


@dataclass(frozen=True)
class RedisTopology:
    """`url` gives the user, password, TLS options (and, on one node, the database) in
    every mode; the node lists say which servers to ask first."""

    url: str
    cluster_nodes: tuple[tuple[str, int], ...] = ()
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str = ""

    @property
    def mode(self) -> Mode:
        if self.cluster_nodes:
            return "cluster"
        if self.sentinels:
            return "sentinel"
        return "single"


def shard_of(client: RedisClient) -> Callable[[str], str | None] | None:
    """On a cluster: a city's key -> the name of the primary serving the city's slot now
    (None while the slot map does not say); None on one node, which is one shard."""
    if not isinstance(client, RedisCluster):
        return None
    nodes = client.nodes_manager

    def of(key: str) -> str | None:
        try:
            return nodes.get_node_from_slot(key_slot(weather_key(key).encode())).name
        except RedisClusterException:  # SlotNotCoveredError included
            return None

    return of
