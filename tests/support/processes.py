"""Start and stop the processes tests run beside them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from entrypoints.launcher import Launcher, LaunchError


class Startable(Protocol):
    def start(self) -> Any: ...

    def close(self) -> None: ...


S = TypeVar("S", bound=Startable)


@contextmanager
def started(server: S, what: str) -> Iterator[S]:
    """`server` started, then closed; one that does not start fails the test, saying why."""
    try:
        server.start()
    except (RuntimeError, OSError) as e:
        server.close()
        pytest.fail(f"{what} did not start: {e}", pytrace=False)
    try:
        yield server
    finally:
        server.close()


def stop(process: subprocess.Popen[Any], grace_s: float) -> None:
    """SIGTERM, then SIGKILL if `process` has not exited within `grace_s`."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def launched(
    name: str, command: list[str], port: int, log: Path, *, timeout_s: float, **options: Any
) -> Launcher:
    """`command`, serving on 127.0.0.1:`port` with its output in `log`, started; one that
    is not ready within `timeout_s` fails the test with the tail of its log (Launcher has
    stopped it)."""
    app = Launcher(command, url=f"http://127.0.0.1:{port}", log=log, name=name, **options)
    try:
        return app.start(timeout_s=timeout_s)
    except LaunchError as failed:
        pytest.fail(str(failed))
