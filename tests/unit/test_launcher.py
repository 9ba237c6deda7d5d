"""The launcher: ready once /healthz answers 200, a failed start says why and leaves nothing
running, stop() ends the whole process group."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from entrypoints.launcher import Launcher, LaunchError, free_port


def static_server(root: Path, port: int, log: Path | None = None) -> Launcher:
    """Python's file server over `root`: GET /healthz answers 200 once `root/healthz` exists."""
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return Launcher([*command, "--directory", str(root)], url=f"http://127.0.0.1:{port}", log=log)


def test_start_returns_once_healthz_answers_and_stop_ends_the_process(tmp_path: Path) -> None:
    (tmp_path / "healthz").write_text("ok")
    log = tmp_path / "server.log"
    with static_server(tmp_path, free_port(), log) as server:
        assert server.ready()
        assert server.returncode is None
    assert server.returncode is not None
    assert "GET /healthz" in log.read_text()


def test_a_process_that_exits_at_start_up_fails_with_its_code_and_log_tail() -> None:
    command = [sys.executable, "-c", "print('no config here'); raise SystemExit(3)"]
    launcher = Launcher(command, url=f"http://127.0.0.1:{free_port()}", name="broken")
    with pytest.raises(LaunchError, match=r"broken exited at start-up \(code 3\)") as failed:
        launcher.start(timeout_s=10)
    assert "no config here" in str(failed.value)


def test_a_server_that_never_answers_200_is_stopped_when_the_time_is_up(tmp_path: Path) -> None:
    launcher = static_server(tmp_path, free_port())  # no healthz file: 404
    with pytest.raises(LaunchError, match="did not answer"):
        launcher.start(timeout_s=1)
    assert launcher.returncode is not None
    assert launcher.output() == ""  # its temporary log is closed with it


def test_stop_kills_a_process_that_ignores_sigterm_after_the_grace_period(tmp_path: Path) -> None:
    (tmp_path / "healthz").write_text("ok")
    port = free_port()
    stubborn = (
        # An ignored signal stays ignored across exec: the file server ignores SIGTERM too.
        "import signal, subprocess, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"subprocess.run([sys.executable, '-m', 'http.server', '{port}', '--bind', "
        f"'127.0.0.1', '--directory', {str(tmp_path)!r}])"
    )
    launcher = Launcher([sys.executable, "-c", stubborn], url=f"http://127.0.0.1:{port}")
    launcher.start(timeout_s=10)
    assert launcher.stop(grace_s=0.5) is None  # killed, not exited
    assert launcher.returncode is not None
