"""Every few seconds: each worker's RSS, open FDs and asyncio tasks, and Redis's client
connections, memory and keys; then the slope per hour of each, fitted by least squares."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import redis

from bench.servers import rss_kb
from bench.soak.stack import Stack
from bench.soak.topology import Topology, node_client

STATUS_POLLS = 6  # per instance and sample: each lands on one worker, mostly both in turn


@dataclass
class Samples:
    """series name -> [(epoch seconds, value)]; per worker, names end in `:<pid>`."""

    series: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, at: float, value: float) -> None:
        self.series[name].append((at, value))


def sample_once(stack: Stack, topology: Topology, samples: Samples) -> None:
    at = time.time()
    for pids in stack.worker_pids().values():
        for pid in pids:
            with contextlib.suppress(OSError):
                samples.add(f"rss_mb:{pid}", at, rss_kb(pid) / 1024)
                samples.add(f"fds:{pid}", at, len(os.listdir(f"/proc/{pid}/fd")))
    for url in stack.urls:
        for pid, tasks in _tasks(url).items():
            samples.add(f"tasks:{pid}", at, tasks)
    totals = _redis_totals(topology)
    # Stamped once read: the workers' polls before take seconds under load, and a fault
    # that began meanwhile (memory filled) must not be counted as calm.
    read_at = time.time()
    for name, value in (totals or {}).items():
        samples.add(name, read_at, value)


def _tasks(url: str) -> dict[int, int]:
    found: dict[int, int] = {}
    with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
        for _ in range(STATUS_POLLS):
            worker = httpx.get(f"{url}/status/data", timeout=5).json()["worker"]
            found[int(worker["pid"])] = int(worker["asyncio_tasks"])
    return found


def _redis_totals(topology: Topology) -> dict[str, float] | None:
    """Summed over the nodes; None while one does not answer (a fault is on)."""
    totals = {"redis_connections": 0.0, "redis_mb": 0.0, "redis_keys": 0.0}
    try:
        for node in topology.nodes():
            with node_client(node) as client:
                totals["redis_connections"] += len(client.client_list())
                totals["redis_mb"] += stored_mb(client)
                totals["redis_keys"] += int(client.dbsize())
    except (redis.RedisError, OSError):
        return None
    return totals


def stored_mb(client: redis.Redis) -> float:
    """What a node stores: every key's MEMORY USAGE (entries, leases, budgets, markers).

    Not `used_memory`, nor Redis 7.0's `used_memory_dataset`: both count two bounded ramps
    a fit over minutes takes for a leak. The replication backlog grows with the writes it
    relays up to `repl-backlog-size` (1 MB), anew on each node a resync makes a replica;
    each client costs about 18 KB, which 7.0 counts in its "dataset", and the number of
    clients is a series of its own (`redis_connections`)."""
    keys = list(client.scan_iter(count=1000))
    sizes = client.pipeline(transaction=False)
    # A cluster replica answers its keys only after READONLY (on the pipeline's one
    # connection); a node outside a cluster refuses READONLY, which is no matter here.
    sizes.execute_command("READONLY")  # type: ignore[no-untyped-call]
    for key in keys:
        sizes.memory_usage(key, samples=0)
    _, *found = sizes.execute(raise_on_error=False)
    for size in found:
        if isinstance(size, Exception):
            raise size
    return sum(size or 0 for size in found) / 2**20


def sample_every(
    seconds: float, stack: Stack, topology: Topology, samples: Samples
) -> Callable[[], None]:
    """Starts sampling in a thread; returns the function that stops it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            with contextlib.suppress(Exception):  # a sample lost to a fault is just missing
                sample_once(stack, topology, samples)

    thread = threading.Thread(target=loop, name="soak-sampler", daemon=True)
    thread.start()

    def stop_sampling() -> None:
        stop.set()
        thread.join(30)

    return stop_sampling


@dataclass(frozen=True)
class Slope:
    per_hour: float
    stderr_per_hour: float
    points: int

    @property
    def above_noise(self) -> bool:
        """Rising by more than three standard errors of its own fit."""
        return self.points >= 5 and self.per_hour > 3 * self.stderr_per_hour


def slope(points: list[tuple[float, float]]) -> Slope | None:
    """Least squares of value against time, in units per hour; None under 3 points."""
    n = len(points)
    if n < 3:
        return None
    hours = [(t - points[0][0]) / 3600 for t, _ in points]
    values = [v for _, v in points]
    mean_h, mean_v = sum(hours) / n, sum(values) / n
    sxx = sum((h - mean_h) ** 2 for h in hours)
    if sxx == 0:
        return None
    b = sum((h - mean_h) * (v - mean_v) for h, v in zip(hours, values, strict=True)) / sxx
    residual = sum((v - mean_v - b * (h - mean_h)) ** 2 for h, v in zip(hours, values, strict=True))
    stderr = math.sqrt(residual / (n - 2) / sxx) if n > 2 else 0.0
    return Slope(b, stderr, n)
