"""Where Redis is: one node (REDIS_URL), a Redis Cluster, or a Sentinel-watched primary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

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
