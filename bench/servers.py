"""The servers under test, each a uvicorn process tree on loopback, and their workers' RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
# The same serving options as `skycache serve` (entrypoints/cli.py), so that only the
# application differs between a baseline and the service.
UVICORN_FLAGS = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-server-header"]


def uvicorn_command(app: str, workers: int, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning", *UVICORN_FLAGS]  # fmt: skip


def skycache_command(workers: int, port: int) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]  # fmt: skip


class Server:
    """`command_for(port)` starts it; ready once GET /healthz answers 200."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], port: int) -> None:
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self._command = command
        self._env = {**os.environ, "LOG_LEVEL": "warning", **env}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> Server:
        self._process = subprocess.Popen(
            self._command, cwd=ROOT, env=self._env, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self.output()
                self._log.close()
                raise RuntimeError(f"{self.name} exited at start-up:\n{output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout_s}s:\n{output}")

    def worker_pids(self) -> list[int]:
        """uvicorn's spawned workers, or the process itself when it runs one worker."""
        assert self._process is not None
        parent = self._process.pid
        children = [pid for pid in _children(parent) if b"spawn_main" in _cmdline(pid)]
        return children or [parent]

    def worker_rss_mb(self) -> list[float]:
        return [rss_kb(pid) / 1024 for pid in self.worker_pids()]

    def worker_cpu_s(self) -> float:
        """User plus system CPU time of the workers so far: a cost per request that other
        load on the machine disturbs far less than req/s."""
        return sum(cpu_s(pid) for pid in self.worker_pids())

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(5)
        self._log.close()

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def new_port() -> int:
    return free_port()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
