"""Starts a server process in its own session and waits until its readiness path answers 200."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Self

import httpx

LOG_TAIL_CHARS = 4000


class LaunchError(RuntimeError):
    """The process exited, or never answered, before it was ready; the message ends with
    the tail of its log."""


def free_port() -> int:
    """A loopback port nothing listens on now (another process may still take it first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, *, workers: int = 1) -> list[str]:
    """`skycache serve` on loopback, run by this interpreter."""
    return [sys.executable, "-m", "skycache", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]  # fmt: skip


class Launcher:
    """One server process: `start()` runs `command` in a new session (so that its workers
    are one process group) with stdout and stderr in `log` (a temporary file when None),
    and returns once GET `url + ready_path` answers 200. `stop()` sends SIGTERM to the
    group and SIGKILL after `grace_s`; as a context manager it starts and stops."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        url: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
        append_log: bool = False,
        name: str = "server",
        ready_path: str = "/healthz",
        poll_s: float = 0.1,
        probe_timeout_s: float = 0.5,
        grace_s: float = 15.0,
    ) -> None:
        self.url = url
        self.name = name
        self._command = list(command)
        self._env = None if env is None else dict(env)
        self._cwd = cwd
        self._log_path = log
        self._append_log = append_log
        self._ready_url = f"{url}{ready_path}"
        self._poll_s = poll_s
        self._probe_timeout_s = probe_timeout_s
        self._grace_s = grace_s
        self._temp_log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> Self:
        """Raises LaunchError, the process stopped, if it is not ready within `timeout_s`."""
        if self._log_path is None:
            self._temp_log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
            self._process = self._spawn(self._temp_log)
        else:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            with self._log_path.open("ab" if self._append_log else "wb") as log:
                self._process = self._spawn(log)
        self._wait_ready(self._process, timeout_s)
        return self

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._command, cwd=self._cwd, env=self._env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                failure = f"{self.name} exited at start-up (code {process.returncode})"
                break
            if self.ready():
                return
            time.sleep(self._poll_s)
        else:
            failure = f"{self.name} did not answer {self._ready_url} within {timeout_s:g} s"
        tail = self.output()[-LOG_TAIL_CHARS:]
        self.stop()
        raise LaunchError(f"{failure}:\n{tail}")

    def ready(self) -> bool:
        """Whether the readiness path answers 200 now."""
        try:
            return httpx.get(self._ready_url, timeout=self._probe_timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """None while it runs (or before it started)."""
        return None if self._process is None else self._process.poll()

    def stop(self, grace_s: float | None = None) -> int | None:
        """SIGTERM to the process group, SIGKILL after the grace period; the exit code, or
        None when it had to be killed or never started."""
        try:
            if self._process is None or self._process.poll() is not None:
                return self.returncode
            os.killpg(self._process.pid, signal.SIGTERM)
            return self._wait_or_kill(grace_s)
        finally:
            if self._temp_log is not None:
                self._temp_log.close()

    def terminate(self, grace_s: float | None = None) -> int | None:
        """SIGTERM to the main process alone, as a container runtime sends it to PID 1."""
        assert self._process is not None, "not started"
        self._process.send_signal(signal.SIGTERM)
        return self._wait_or_kill(grace_s)

    def kill(self) -> None:
        """SIGKILL the whole process group: no lease release, no flush, like a crash."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(5)

    def _wait_or_kill(self, grace_s: float | None) -> int | None:
        assert self._process is not None
        try:
            return self._process.wait(self._grace_s if grace_s is None else grace_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def output(self) -> str:
        """What the process wrote so far ("" once a temporary log is closed)."""
        if self._log_path is not None:
            return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""
        if self._temp_log is None or self._temp_log.closed:
            return ""
        self._temp_log.seek(0)
        return self._temp_log.read().decode(errors="replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
