"""`skycache serve` refuses a bad configuration with one line, never a traceback."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints import startup
from entrypoints.settings import RUN_DIR_PARTS, Settings
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    port = str(free_port())
    command = [sys.executable, "-m", "skycache", "serve", "--port", port, "--workers", "2"]
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WEATHER_TTL": "-5"}, "WEATHER_TTL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"LOG_REQUESTS": "maybe"}, "LOG_REQUESTS"),
        ({"LOCAL_COPY_SHARED": "2"}, "LOCAL_COPY_SHARED"),
        ({"WEATHER_TTL": "inf"}, "WEATHER_TTL"),
        ({"REDIS_URL": "redis://127.0.0.1:99999/0"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:port/0"}, "REDIS_URL"),
    ],
)
def test_a_bad_variable_stops_serve_with_one_line_naming_it(
    env: dict[str, str], named: str
) -> None:
    done = serve(env)
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_required_redis_that_does_not_answer_stops_serve_with_one_line() -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    done = serve({"SKYCACHE_CACHE": "redis", "REDIS_URL": closed})
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "SKYCACHE_CACHE=redis" in lines[0]
    assert "does not answer" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_the_instance_directory_is_made_for_the_run_and_removed_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(startup.RUN_DIR_ENV, raising=False)
    monkeypatch.delenv(startup.MULTIPROC_ENV, raising=False)
    with startup.instance_dir() as path:
        assert os.environ[startup.RUN_DIR_ENV] == str(path)
        # Prometheus' values are one of its parts: one directory per instance, not two.
        assert os.environ[startup.MULTIPROC_ENV] == str(path / "metrics")
        (path / "metrics" / "counter_1.db").write_bytes(b"")
        (path / "locks").mkdir()
        (path / "locks" / "a.lease").write_bytes(b"")
    assert not path.exists()
    assert startup.RUN_DIR_ENV not in os.environ
    assert startup.MULTIPROC_ENV not in os.environ


def test_a_given_instance_directory_is_kept_but_emptied_of_what_a_run_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for part in RUN_DIR_PARTS:
        (tmp_path / part).mkdir()
        (tmp_path / part / "old.db").write_text("from a previous run or boot")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv(startup.RUN_DIR_ENV, str(tmp_path))
    with startup.instance_dir() as path:
        assert path == tmp_path
        assert not any((tmp_path / part / "old.db").exists() for part in RUN_DIR_PARTS)
        assert (tmp_path / "metrics").is_dir()
    assert (tmp_path / "notes.txt").exists()
    assert os.environ[startup.RUN_DIR_ENV] == str(tmp_path)


@pytest.mark.parametrize("given", [False, True], ids=["made", "given"])
def test_the_sigterm_handler_is_restored_after_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: bool
) -> None:
    if given:
        monkeypatch.setenv(startup.RUN_DIR_ENV, str(tmp_path))
    else:
        monkeypatch.delenv(startup.RUN_DIR_ENV, raising=False)
    before = signal.getsignal(signal.SIGTERM)
    with startup.instance_dir():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_cli_does_not_import_prometheus_client_before_workers_start() -> None:
    # Its import decides multiprocess mode; a single worker runs in the CLI's own process.
    code = "import sys, entrypoints.cli; print('prometheus_client' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_shared_redis_cache_keeps_the_workers_asked_for() -> None:
    assert startup.worker_count(4, "redis", Settings.from_env({})) == 4


def test_a_cache_per_process_gets_one_worker_and_a_warning_saying_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.from_env({"SKYCACHE_CACHE": "memory"})
    with caplog.at_level(logging.WARNING, logger="skycache"):
        assert startup.worker_count(3, "memory", settings) == 1
    assert "serving with 1 worker, not 3" in caplog.text
    assert "SKYCACHE_CACHE=memory" in caplog.text


def test_skycache_cache_memory_needs_no_redis_probe() -> None:
    assert startup.check_backend(Settings.from_env({"SKYCACHE_CACHE": "memory"})) == "memory"


def test_a_run_directory_that_cannot_be_made_stops_serve_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    wanted = tmp_path / "a-file" / "run"
    done = serve({"SKYCACHE_CACHE": "memory", "SKYCACHE_RUN_DIR": str(wanted)})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert f"cannot use SKYCACHE_RUN_DIR={wanted}" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
