"""Runs the real service (`skycache serve`) as a child process on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class AppServer:
    def __init__(self, env: Mapping[str, str], *, workers: int = 1, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, "LOG_LEVEL": "warning", **env}
        self._workers = workers
        self._process: subprocess.Popen[bytes] | None = None
        self._log = ROOT / ".pytest_cache" / f"app-{self.port}.log"

    def start(self, timeout_s: float = 20.0) -> AppServer:
        self._log.parent.mkdir(exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "entrypoints.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self._workers),
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_healthy(timeout_s)
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"app exited at start-up:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"app did not answer /healthz within {timeout_s}s:\n{self.output()}")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def kill(self) -> None:
        """SIGKILL the whole process group: no lease release, no flush, like a crash."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(5)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        if self._process is None or self._process.poll() is not None:
            return None if self._process is None else self._process.returncode
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            return self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def terminate(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM to the main process alone, as a container runtime sends it to PID 1."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def output(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
