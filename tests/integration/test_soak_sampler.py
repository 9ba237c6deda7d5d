"""The soak's Redis samples on real redis-servers: when they are stamped, and what the
memory measure leaves out."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator, Mapping

import pytest
import redis
from redis.asyncio.cluster import RedisCluster

from bench.soak.sampler import Samples, sample_once, stored_mb
from bench.soak.stack import Stack
from bench.soak.topology import Topology
from tests.support.redis_cluster import LocalRedisCluster
from tests.support.redis_server import LocalRedisServer

pytestmark = pytest.mark.integration

VALUE = b"v" * 10_000


class SlowWorkers(Stack):
    """No workers to sample, but polling them takes as long as under a loaded machine."""

    polled_at = 0.0

    @property
    def urls(self) -> list[str]:
        return []

    def worker_pids(self) -> Mapping[int, list[int]]:
        time.sleep(0.3)
        self.polled_at = time.time()
        return {}


@pytest.fixture
def primary_and_replica() -> Iterator[tuple[LocalRedisServer, LocalRedisServer]]:
    with LocalRedisServer() as primary:
        replica = LocalRedisServer(extra_args=["--replicaof", "127.0.0.1", str(primary.port)])
        with replica:
            client = redis.Redis(port=replica.port)
            deadline = time.monotonic() + 10
            while client.info("replication").get("master_link_status") != "up":
                assert time.monotonic() < deadline, "the replica never synced"
                time.sleep(0.05)
            yield primary, replica


def test_redis_is_stamped_when_read_not_when_the_sample_began(
    own_redis_server: LocalRedisServer,
) -> None:
    samples, stack = Samples(), SlowWorkers(env={})
    sample_once(stack, Topology("single", single=own_redis_server), samples)
    stamps = [at for name in ("redis_mb", "redis_keys") for at, _ in samples.series[name]]
    assert len(stamps) == 2
    assert min(stamps) >= stack.polled_at


def test_what_a_replica_relays_fills_its_backlog_not_the_measure(
    primary_and_replica: tuple[LocalRedisServer, LocalRedisServer],
) -> None:
    primary, replica = primary_and_replica
    nodes = [redis.Redis(port=node.port) for node in (primary, replica)]
    before = [(node.info("memory"), stored_mb(node)) for node in nodes]
    writer = nodes[0].pipeline(transaction=False)
    for _ in range(60):  # 600 KB relayed, one key's worth of data kept
        writer.set("soak:one", VALUE)
    writer.execute()
    nodes[0].wait(1, 5000)
    for node, (old, old_mb) in zip(nodes, before, strict=True):
        assert int(node.info("memory")["used_memory"]) - int(old["used_memory"]) > 400_000
        assert stored_mb(node) - old_mb < 0.1


def test_connections_opened_cost_used_memory_not_the_measure(
    own_redis_server: LocalRedisServer,
) -> None:
    node = redis.Redis(port=own_redis_server.port)
    node.set("soak:one", VALUE)
    before, before_mb = node.info("memory"), stored_mb(node)
    held = [socket.create_connection(("127.0.0.1", own_redis_server.port)) for _ in range(40)]
    try:
        node.ping()  # answered after the 40 were accepted
        during = node.info("memory")
        assert stored_mb(node) == before_mb
    finally:
        for connection in held:
            connection.close()
    assert int(during["used_memory"]) - int(before["used_memory"]) > 400_000


def test_data_that_is_kept_is_measured(own_redis_server: LocalRedisServer) -> None:
    node = redis.Redis(port=own_redis_server.port)
    before = stored_mb(node)
    writer = node.pipeline(transaction=False)
    for n in range(100):  # 1 MB kept
        writer.set(f"soak:{n}", VALUE)
    writer.execute()
    assert 0.95 < stored_mb(node) - before < 1.2


async def test_every_node_of_a_cluster_is_measured_its_replicas_too(
    cluster_redis: RedisCluster, redis_cluster: LocalRedisCluster
) -> None:
    for n in range(30):  # 300 KB over the three primaries' slots
        await cluster_redis.set(f"soak:{n}", VALUE)
    nodes = [redis.Redis(port=node.port, socket_timeout=2.0) for node in redis_cluster.nodes]
    deadline = time.monotonic() + 10  # the replicas copy the writes on their own time
    while (total := sum(stored_mb(node) for node in nodes)) < 0.55:
        assert time.monotonic() < deadline, f"only {total:.2f} MB measured"
        await asyncio.sleep(0.1)
    assert total < 0.7  # each key once on its primary, once on its replica
