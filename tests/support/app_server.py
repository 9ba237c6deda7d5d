"""Runs the real service (`skycache serve`) as a child process on loopback."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from entrypoints.launcher import Launcher, free_port, serve_command

ROOT = Path(__file__).resolve().parents[2]


class AppServer(Launcher):
    """The service with LOG_LEVEL=warning, its log in .pytest_cache/app-<port>.log."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 1, port: int | None = None):
        self.port = port or free_port()
        super().__init__(
            serve_command(self.port, workers=workers),
            url=f"http://127.0.0.1:{self.port}",
            env={**os.environ, "LOG_LEVEL": "warning", **env},
            cwd=ROOT,
            log=ROOT / ".pytest_cache" / f"app-{self.port}.log",
            name="app",
            poll_s=0.05,
            grace_s=10.0,
        )

    def start(self, timeout_s: float = 20.0) -> Self:
        return super().start(timeout_s)
