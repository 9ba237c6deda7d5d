"""The servers under test, each a uvicorn process tree on loopback, and their workers' RSS."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from entrypoints.launcher import Launcher, free_port, serve_command

ROOT = Path(__file__).resolve().parents[1]


def uvicorn_command(app: str, workers: int, port: int) -> list[str]:
    """A baseline served as `skycache serve` serves the service (bench/serve_app.py), so
    that only the application differs between them."""
    return [sys.executable, "-m", "bench.serve_app", app, str(port), str(workers)]


def skycache_command(workers: int, port: int) -> list[str]:
    return serve_command(port, workers=workers)


class Server(Launcher):
    """`command` started on loopback `port`, its log in `log` (else a temporary file);
    ready once GET /healthz answers 200."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: Mapping[str, str],
        port: int,
        cwd: Path = ROOT,  # another tree of the code (bench/conditional.py's "before")
        log: Path | None = None,  # appended to, so a restart keeps what came before
    ) -> None:
        super().__init__(
            command,
            url=f"http://127.0.0.1:{port}",
            env={**os.environ, "LOG_LEVEL": "warning", **env},
            cwd=cwd,
            log=log,
            append_log=True,
            name=name,
            probe_timeout_s=1.0,
        )

    def worker_pids(self) -> list[int]:
        """uvicorn's spawned workers, or the process itself when it runs one worker."""
        parent = self.pid
        children = [pid for pid in _children(parent) if b"spawn_main" in _cmdline(pid)]
        return children or [parent]

    def worker_rss_mb(self) -> list[float]:
        return [rss_kb(pid) / 1024 for pid in self.worker_pids()]

    def worker_cpu_s(self) -> float:
        """User plus system CPU time of the workers so far: a cost per request that other
        load on the machine disturbs far less than req/s."""
        return sum(cpu_s(pid) for pid in self.worker_pids())


def skycache_server(env: Mapping[str, str]) -> Server:
    """One `skycache serve` worker, as the service runs, with `env` over this environment."""
    port = free_port()
    return Server("skycache", skycache_command(1, port), env, port)


def new_port() -> int:
    return free_port()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    fields = _fields(pid)
    return (fields[11] + fields[12]) / os.sysconf("SC_CLK_TCK")


def youngest(pids: Iterable[int]) -> int:
    """The process started last (/proc/PID/stat's start time; the pid breaks a tie)."""
    return max(pids, key=lambda pid: (_fields(pid)[19], pid))


def _fields(pid: int) -> list[int]:
    # The command name may hold spaces and parentheses: fields follow the last ")".
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [int(field) if field.lstrip("-").isdigit() else 0 for field in stat]


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _fields(int(entry.name))[1] == parent:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
