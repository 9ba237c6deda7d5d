"""The Redis a soak runs on: one node, a Sentinel set or a cluster, all on loopback."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import redis

from tests.support.redis_cluster import LocalRedisCluster
from tests.support.redis_sentinel import LocalSentinelSet
from tests.support.redis_server import LocalRedisServer

TOPOLOGIES = ("single", "sentinel", "cluster")
HOT_KEY = "skycache:v2:{chicago}:weather"  # a hot city's key: on a cluster, its node is hit


@dataclass
class Topology:
    """`env` points the service at it; `primary()` is the node the Redis faults act on."""

    name: str
    single: LocalRedisServer | None = None
    sentinels: LocalSentinelSet | None = None
    cluster: LocalRedisCluster | None = None
    env: dict[str, str] = field(default_factory=dict)

    def primary(self) -> LocalRedisServer:
        if self.single is not None:
            return self.single
        if self.sentinels is not None:
            return self.sentinels.node(self.sentinels.primary_port())
        assert self.cluster is not None
        return self.cluster.owner_of(HOT_KEY)

    def nodes(self) -> list[LocalRedisServer]:
        """The nodes running now, each sampled on its own."""
        if self.single is not None:
            return [self.single] if self.single.running else []
        if self.sentinels is not None:
            return [node for node in self.sentinels.nodes if node.running]
        assert self.cluster is not None
        return self.cluster.nodes_running()

    def client(self) -> redis.Redis | redis.RedisCluster:
        """A client on the whole of it (on a cluster, following redirections)."""
        if self.cluster is not None:
            host, port = self.cluster.addresses[0]
            return redis.RedisCluster(host=host, port=port, socket_timeout=2.0)
        return node_client(self.primary())

    def failover(self) -> None:
        """A Sentinel failover, or a cluster primary killed (and later restarted as a
        replica by `recover()`); a single node has none."""
        if self.sentinels is not None:
            self.sentinels.failover()
        elif self.cluster is not None:
            owner = self.cluster.owner_of(HOT_KEY)
            owner.kill()
            self.cluster.wait_for_new_owner(HOT_KEY, owner)

    def recover(self) -> None:
        """Restart every node a fault left down, so the next fault finds the set whole."""
        if self.cluster is not None:
            for node in self.cluster.nodes:
                if not node.running:
                    node.start()
            self.cluster.wait_until_ok()

    def close(self) -> None:
        for part in (self.single, self.sentinels, self.cluster):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()


def start_topology(name: str) -> Topology:
    if name == "single":
        server = LocalRedisServer().start()
        return Topology(name, single=server, env={"REDIS_URL": server.url})
    if name == "sentinel":
        sentinels = LocalSentinelSet().start()
        env = {"REDIS_SENTINELS": sentinels.sentinels_setting, "REDIS_URL": "redis://127.0.0.1/0"}
        return Topology(name, sentinels=sentinels, env=env)
    cluster = LocalRedisCluster().start()
    host, port = cluster.addresses[0]
    env = {"REDIS_URL": f"redis://{host}:{port}/0", "REDIS_CLUSTER_NODES": cluster.nodes_setting}
    return Topology(name, cluster=cluster, env=env)


def node_client(node: LocalRedisServer) -> redis.Redis:
    """A plain client on one node, never following redirections: sampling and faults."""
    return redis.Redis(port=node.port, socket_timeout=2.0, socket_connect_timeout=1.0)
