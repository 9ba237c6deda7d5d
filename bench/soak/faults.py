"""The soak's faults, each a phase of a few seconds between calm ones. A fault's `kind`
says what it may do to fetches: `crash` faults (a worker or an instance killed or
restarted, lost wake-ups, Redis killed and restarted empty: its holders re-assert their
leases before anyone takes a new one) must never let two fetches of one key overlap;
those that lose leases while their holders live may, and their rate is measured:
`pause` (Redis stopped past the lease and the host lock's wait: each instance then
fetches on its own host lock), `eviction`, `failover`. `upstream` faults test the
answers, not the lease."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.soak.stack import ENV, LINGER_S, Stack
from bench.soak.topology import Topology, node_client
from tests.support.fake_open_meteo import FakeOpenMeteo

LEASE_S = float(ENV["LOCK_TTL"])
BASE_LATENCY_S = 0.05  # every fetch spends this long at the fake
# While a kill lands, fetches take longer, so that some are in flight; short enough that
# one worker's fetches (UPSTREAM_CONCURRENCY=1) do not queue past their deadlines.
MID_FETCH_LATENCY_S = 0.15
# A 429 that names Open-Meteo's minutely limit keeps calls away for a minute
# (adapters/resilience/quota.py): cities with no copy get 503s for that long.
QUOTA_WINDOW_S = 60.0
JUNK_VALUE = b"x" * 1024


@dataclass(frozen=True)
class Parts:
    topology: Topology
    stack: Stack
    fake: FakeOpenMeteo


@dataclass(frozen=True)
class Fault:
    id: str  # what --faults names
    name: str
    kind: str
    seconds: float  # how long the phase lasts, `act` included
    act: Callable[[Parts], None]
    undo: Callable[[Parts], None] = lambda parts: None
    topologies: tuple[str, ...] = ("single", "sentinel", "cluster")
    aftermath_s: float = LINGER_S  # how long after it its effects may still show


def _restart_redis_empty(parts: Parts) -> None:
    server = parts.topology.primary()
    server.kill()
    time.sleep(1.0)
    server.start()  # no persistence: it comes back empty


def _pause_redis(parts: Parts) -> None:
    pid = parts.topology.primary().process_id
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(2.5 * LEASE_S)  # every lease taken before it lapses meanwhile
    finally:
        os.kill(pid, signal.SIGCONT)


def _fill_to_eviction(parts: Parts) -> None:
    for node in parts.topology.nodes():
        with node_client(node) as client:
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory-policy", "allkeys-lru")
            client.config_set("maxmemory", str(used + 2 * 1024 * 1024))
    with parts.topology.client() as client:
        for batch in range(8):  # 8 MB: four times the room left, leases and entries evicted
            pipe = client.pipeline(transaction=False)
            for n in range(1024):
                pipe.set(f"soak:junk:{batch}:{n}", JUNK_VALUE)
            pipe.execute()


def _end_eviction(parts: Parts) -> None:
    for node in parts.topology.nodes():
        with node_client(node) as client:
            client.config_set("maxmemory", "0")
            client.config_set("maxmemory-policy", "noeviction")
            if client.info("replication")["role"] != "master":
                continue  # a replica drops the junk when its primary does
            for key in client.scan_iter(match="soak:junk:*", count=1000):
                client.unlink(key)


def _kill_pubsub(parts: Parts) -> None:
    parts.fake.set(
        latency_s=MID_FETCH_LATENCY_S, endpoint="forecast"
    )  # waiters are waiting meanwhile
    for _ in range(3):
        time.sleep(1.0)
        for node in parts.topology.nodes():
            with node_client(node) as client:
                client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")


def _kill_worker(parts: Parts) -> None:
    parts.fake.set(latency_s=MID_FETCH_LATENCY_S, endpoint="forecast")
    time.sleep(1.0)
    parts.stack.kill_worker(0)


def _upstream(**control: object) -> Callable[[Parts], None]:
    def act(parts: Parts) -> None:
        parts.fake.set(**control)

    return act


def _healthy_upstream(parts: Parts) -> None:
    parts.fake.set(mode="ok", retry_after=None)
    parts.fake.set(latency_s=BASE_LATENCY_S, endpoint="forecast")
    parts.fake.set(latency_s=0, endpoint="geocoding")


FAULTS = [
    Fault(
        "redis-restart",
        "redis killed, restarted empty",
        "crash",
        6,
        _restart_redis_empty,
        topologies=("single",),
    ),
    Fault("worker-kill", "worker kill -9 mid-fetch", "crash", 6, _kill_worker, _healthy_upstream),
    Fault(
        "instance-restart", "instance SIGTERM + restart", "crash", 8, lambda p: p.stack.restart(1)
    ),
    Fault("pubsub-kill", "pub/sub connections killed", "crash", 6, _kill_pubsub, _healthy_upstream),
    Fault(
        "upstream-500",
        "upstream 500s",
        "upstream",
        6,
        _upstream(mode="error500"),
        _healthy_upstream,
    ),
    Fault(
        "upstream-timeout",
        "upstream timeouts",
        "upstream",
        6,
        _upstream(mode="timeout"),
        _healthy_upstream,
    ),
    Fault(
        "upstream-slow",
        "upstream slow (0.7 of timeout)",
        "upstream",
        6,
        _upstream(latency_s=0.7),
        _healthy_upstream,
    ),
    Fault("redis-pause", "redis paused past the lease", "pause", 6, _pause_redis),
    Fault(
        "redis-eviction",
        "redis memory full, evicting",
        "eviction",
        8,
        _fill_to_eviction,
        _end_eviction,
    ),
    Fault(
        "failover",
        "primary failover",
        "failover",
        10,
        lambda p: p.topology.failover(),
        lambda p: p.topology.recover(),
        topologies=("sentinel", "cluster"),
    ),
    Fault(
        "upstream-429",
        "upstream 429 + Retry-After",
        "upstream",
        6,
        _upstream(mode="error429", retry_after="3"),
        _healthy_upstream,
        aftermath_s=QUOTA_WINDOW_S + LINGER_S,
    ),
]
CRASHES = [fault.name for fault in FAULTS if fault.kind == "crash"]


def faults_for(topology: str, names: list[str] | None) -> list[Fault]:
    chosen = [f for f in FAULTS if topology in f.topologies]
    return [f for f in chosen if names is None or f.id in names or f.kind in names]
