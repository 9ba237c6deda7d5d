"""The service under soak: two instances of two workers each, on one Redis and the fake
Open-Meteo, each instance with its own run directory, as separate hosts would have."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import Server, skycache_command, youngest
from entrypoints.launcher import free_port

INSTANCES = 2
WORKERS = 2
# Short TTLs so that every hot city expires and is refreshed many times an hour; a lease
# and timeouts short enough that a fault's effects pass within a phase.
ENV = {
    "SKYCACHE_CACHE": "redis",
    "WEATHER_PROVIDER": "open-meteo",
    "WEATHER_TTL": "5",
    "WEATHER_TTL_JITTER": "1",
    "WEATHER_STALE_TTL": "120",
    "NEGATIVE_TTL": "10",  # compressed like the rest: unknown names' keys come and go
    "UNUSABLE_TTL": "5",
    "LOCK_TTL": "2",
    "UPSTREAM_TIMEOUT": "1",
    "BREAKER_RESET": "2",
    # The refresh back-off compressed with the rest: a copy must get a refresh attempt after
    # the minute a 429 keeps calls away and before its stale TTL ends, as 300 s does within
    # a day. At 300 s here, failed refreshes pushed a tail city past its 120 s (issue 25).
    "REFRESH_BACKOFF": "1",
    "REFRESH_BACKOFF_MAX": "20",
    # One client (the soak) sends everything: the guard is measured, not the miss budget.
    "UPSTREAM_MISSES_PER_CLIENT": "0",
    # A day compressed into minutes calls the upstream as many times faster: the free
    # tier's budgets (5,000 an hour) would refuse it, which is not what is measured here.
    "UPSTREAM_MAX_PER_MINUTE": "1000000",
    "UPSTREAM_MAX_PER_HOUR": "10000000",
    "UPSTREAM_MAX_PER_DAY": "100000000",
}
LINGER_S = 2 * 2 + 3 * 1  # two leases and three upstream timeouts: a fault's aftermath


@dataclass
class Stack:
    """The instances' servers, by index; `restart(i)` keeps an instance's port. With
    `logs`, each instance writes its log to `instance-<i>.log` there, restarts appended."""

    env: dict[str, str]
    logs: Path | None = None
    servers: list[Server] = field(default_factory=list)
    run_dirs: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def start(self) -> Stack:
        for _ in range(INSTANCES):
            self.run_dirs.append(tempfile.TemporaryDirectory(prefix="skycache-soak-"))
            self.servers.append(
                self._server(len(self.servers), free_port(), self.run_dirs[-1].name).start(60)
            )
        return self

    def _server(self, index: int, port: int, run_dir: str) -> Server:
        env = {**self.env, "SKYCACHE_RUN_DIR": run_dir}
        name = f"instance-{index}"
        log = None if self.logs is None else self.logs / f"{name}.log"
        return Server(name, skycache_command(WORKERS, port), env, port, log=log)

    def restart(self, index: int) -> None:
        """SIGTERM (a graceful drain), then the same instance again on its port."""
        old = self.servers[index]
        old.stop()
        port = int(old.url.rsplit(":", 1)[1])
        self.servers[index] = self._server(index, port, self.run_dirs[index].name).start(60)

    def kill_worker(self, index: int) -> int:
        """SIGKILL the youngest worker of instance `index` (uvicorn starts another); its pid.

        The youngest, so that its sibling lives the whole run through every other fault:
        a leak shows only in a series longer than what a worker fills as it starts
        (docs/SOAK.md, "Leaks"). Which worker dies is no part of the fault."""
        pid = youngest(self.servers[index].worker_pids())
        os.kill(pid, signal.SIGKILL)
        return pid

    def worker_pids(self) -> Mapping[int, list[int]]:
        return {i: server.worker_pids() for i, server in enumerate(self.servers)}

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        for run_dir in self.run_dirs:
            run_dir.cleanup()


def stack_env(redis_env: Mapping[str, str], upstream_url: str) -> dict[str, str]:
    urls = {"OPEN_METEO_GEOCODING_URL": upstream_url, "OPEN_METEO_FORECAST_URL": upstream_url}
    return {**ENV, **redis_env, **urls}
