"""A Redis primary, its replica and one Sentinel on loopback: Sentinel mode and its failovers."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis

from adapters.redis.topology import RedisTopology
from tests.support.ports import free_port
from tests.support.redis_server import LocalRedisServer

MASTER = "mymaster"
FAULTS = ("sentinel failover", "killed primary")  # what replace_primary() can do
# Syncs through a file: after a diskless one the primary holds the writes that follow until
# the replica's first ACK (up to 1 s), and a failover in that second would lose them.
_REPLICATION = ["--repl-diskless-sync", "no"]
# One Sentinel is a quorum of one; a primary unanswered for 1 s is down.
_SENTINEL_CONF = """\
sentinel monitor {master} 127.0.0.1 {port} 1
sentinel down-after-milliseconds {master} 1000
sentinel failover-timeout {master} 3000
sentinel parallel-syncs {master} 1
"""


class LocalSentinelSet:
    """Two redis-servers (primary, replica) and a Sentinel watching them as MASTER.

    The nodes swap roles on a failover: ask `primary_port()`, not the attribute names.
    """

    def __init__(self, password: str = "") -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="skycache-sentinel-")
        self._password = password
        # Each node may become the other's replica: both know the password both ways.
        auth = ["--requirepass", password, "--masterauth", password] if password else []
        first = LocalRedisServer(extra_args=[*_REPLICATION, *auth])
        replica_args = [*_REPLICATION, *auth, "--replicaof", "127.0.0.1", str(first.port)]
        self.nodes = [first, LocalRedisServer(extra_args=replica_args)]
        self._conf = Path(self._dir.name, "sentinel.conf")  # Sentinel rewrites it: writable
        self.sentinel = LocalRedisServer(
            free_port(), config_file=str(self._conf), extra_args=["--sentinel"]
        )
        self.topology = RedisTopology(
            # User, password, db and TLS only: its host is not used.
            url=f"redis://:{password}@127.0.0.1/0" if password else "redis://127.0.0.1/0",
            sentinels=(("127.0.0.1", self.sentinel.port),),
            sentinel_master=MASTER,
        )

    @property
    def sentinels_setting(self) -> str:
        """REDIS_SENTINELS for the service."""
        return ",".join(f"{host}:{port}" for host, port in self.topology.sentinels)

    def start(self, timeout_s: float = 30.0) -> LocalSentinelSet:
        primary, replica = self.nodes
        primary.start()
        replica.start()
        # The Sentinel lists the replicas the primary's INFO names when it first asks (then
        # every 10 s): the replica must be attached before the Sentinel starts.
        _until(
            lambda: _replicating(replica.port, self._password),
            timeout_s,
            "the replica's link to its primary",
        )
        conf = _SENTINEL_CONF.format(master=MASTER, port=primary.port)
        if self._password:
            conf += f"sentinel auth-pass {MASTER} {self._password}\n"
        self._conf.write_text(conf)
        self.sentinel.start()
        _until(self._sentinel_sees_a_replica, timeout_s, "the Sentinel seeing the replica")
        return self

    def close(self) -> None:
        self.sentinel.close()
        for node in self.nodes:
            node.close()
        self._dir.cleanup()

    def __enter__(self) -> LocalSentinelSet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def primary_port(self) -> int:
        """The primary's port, as the Sentinel says."""
        with self._sentinel_client() as sentinel:
            _host, port = sentinel.sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def node(self, port: int) -> LocalRedisServer:
        return next(node for node in self.nodes if node.port == port)

    def failover(self, timeout_s: float = 20.0) -> int:
        """SENTINEL FAILOVER: the replica is promoted, the primary demoted; the new port."""
        old = self.primary_port()
        with self._sentinel_client() as sentinel:
            sentinel.sentinel_failover(MASTER)
        return self.wait_for_new_primary(old, timeout_s)

    def kill_primary(self) -> int:
        """SIGKILL the primary (its clients see their connections reset); its port."""
        old = self.primary_port()
        self.node(old).kill()
        return old

    def replace_primary(self, fault: str) -> int:
        """The new primary's port after `fault`, one of FAULTS."""
        if fault == "killed primary":
            return self.wait_for_new_primary(self.kill_primary())
        assert fault == "sentinel failover", fault
        return self.failover()

    def wait_for_new_primary(self, old_port: int, timeout_s: float = 20.0) -> int:
        """Until the Sentinel names another node, sees it up (as clients require), and that
        node says it is the primary."""
        found: list[int] = []

        def promoted() -> bool:
            with self._sentinel_client() as sentinel:
                state: dict[str, Any] = sentinel.sentinel_master(MASTER)
            port = int(state["port"])
            up = state["is_master"] and not (state["is_sdown"] or state["is_odown"])
            if up and port != old_port and _role(port, self._password) == "master":
                found.append(port)
            return bool(found)

        _until(promoted, timeout_s, "a new primary")
        return found[0]

    def _sentinel_sees_a_replica(self) -> bool:
        with self._sentinel_client() as sentinel:
            replicas: list[dict[str, Any]] = sentinel.sentinel_slaves(MASTER)
        return any(not r["is_sdown"] and r.get("master-link-status") == "ok" for r in replicas)

    def _sentinel_client(self) -> Redis:
        return Redis(port=self.sentinel.port, decode_responses=True, socket_timeout=2.0)


def _role(port: int, password: str) -> str | None:
    try:
        with _node(port, password) as node:
            info: dict[str, Any] = node.info("replication")
    except Exception:  # down, or still loading: not a primary yet
        return None
    return str(info.get("role"))


def _replicating(port: int, password: str) -> bool:
    with _node(port, password) as node:
        return bool(node.info("replication").get("master_link_status") == "up")


def _node(port: int, password: str) -> Redis:
    return Redis(port=port, password=password or None, decode_responses=True, socket_timeout=2.0)


def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout_s} s")
        time.sleep(0.05)
