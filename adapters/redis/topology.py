"""Which Redis deployment the service talks to: one node, a Cluster, or a Sentinel set."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisTopology:
    """`url` always gives the user, password, database and TLS; the nodes say where."""

    url: str
    cluster_nodes: tuple[tuple[str, int], ...] = ()
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str = ""

    @property
    def mode(self) -> str:
        """ "single", "cluster" or "sentinel"."""
        if self.cluster_nodes:
            return "cluster"
        if self.sentinels:
            return "sentinel"
        return "single"
