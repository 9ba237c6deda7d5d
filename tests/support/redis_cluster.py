"""A 3-primary + 3-replica Redis Cluster of local redis-server processes, for the tests."""

from __future__ import annotations

import shutil
import subprocess
import time

from tests.support.ports import free_port
from tests.support.redis_server import NO_REDIS, LocalRedisServer

PRIMARIES = 3
# Small, so that a killed primary's replica is promoted within a few seconds.
NODE_TIMEOUT_MS = 1500


class LocalRedisCluster:
    """Six redis-server processes on free loopback ports, joined with `redis-cli --cluster
    create`; kill() and restart() act on one node, found by the slot a key hashes to."""

    def __init__(self, primaries: int = PRIMARIES, replicas: int = 1) -> None:
        self._replicas = replicas
        options = ["--cluster-enabled", "yes", "--cluster-node-timeout", str(NODE_TIMEOUT_MS)]
        options += ["--cluster-config-file", "nodes.conf"]
        # A replica may always take over, however long ago it last heard its primary: a
        # just-created cluster's replicas may not have synced yet when a test kills one.
        options += ["--cluster-replica-validity-factor", "0"]
        # The bus port is chosen too: the default, port + 10000, may be taken or past 65535.
        self.nodes = [
            LocalRedisServer(extra_args=[*options, "--cluster-port", str(free_port())])
            for _ in range(primaries * (1 + replicas))
        ]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", node.port) for node in self.nodes]

    @property
    def nodes_setting(self) -> str:
        """The value of REDIS_CLUSTER_NODES: every node (any one would do)."""
        return ",".join(f"{host}:{port}" for host, port in self.addresses)

    def start(self, timeout_s: float = 30.0) -> LocalRedisCluster:
        if shutil.which("redis-cli") is None:
            raise RuntimeError(f"redis-cli is not installed. {NO_REDIS}")
        for node in self.nodes:
            node.start()
        command = ["redis-cli", "--cluster", "create"]
        command += [f"{host}:{port}" for host, port in self.addresses]
        command += ["--cluster-replicas", str(self._replicas), "--cluster-yes"]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout_s)
        self.wait_until_ok(timeout_s)
        return self

    def close(self) -> None:
        for node in self.nodes:
            node.close()

    def __enter__(self) -> LocalRedisCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cli(self, port: int, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def wait_until_ok(self, timeout_s: float = 30.0) -> None:
        """Until every running node says cluster_state:ok (all 16384 slots served)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(self._settled(node.port) for node in self.nodes if node.running):
                return
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok in time")

    def _settled(self, port: int) -> bool:
        return "cluster_state:ok" in self.cli(port, "CLUSTER", "INFO")

    def owner_of(self, key: str) -> LocalRedisServer:
        """The running primary that serves `key`'s slot now."""
        slot = int(self.cli(self.nodes_running()[0].port, "CLUSTER", "KEYSLOT", key))
        for node in self.nodes_running():
            if self._owns(node.port, slot):
                return node
        raise RuntimeError(f"no running primary serves slot {slot}")

    def nodes_running(self) -> list[LocalRedisServer]:
        return [node for node in self.nodes if node.running]

    def _owns(self, port: int, slot: int) -> bool:
        for line in self.cli(port, "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "myself" not in fields[2] or "master" not in fields[2]:
                continue
            for span in fields[8:]:
                first, _, last = span.partition("-")
                if first.isdigit() and int(first) <= slot <= int(last or first):
                    return True
        return False

    def wait_for_new_owner(self, key: str, old: LocalRedisServer, timeout_s: float = 30.0) -> None:
        """After `old` (the owner of `key`'s slot) died: until a replica serves the slot."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.owner_of(key) is not old:
                    self.wait_until_ok(max(deadline - time.monotonic(), 1.0))
                    return
            except (RuntimeError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"no replica took over {key!r}'s slot in time")
