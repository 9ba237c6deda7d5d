"""deploy/Dockerfile: slim multi-stage, locked runtime deps, non-root, a CMD the CLI accepts."""

from __future__ import annotations

import fnmatch
import shlex
import socket
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from entrypoints.cli import build_parser
from tests.deploy.recipe import (
    ROOT,
    cmd_argv,
    dockerfile_stages,
    exec_form,
    final_stage,
    lock_versions,
    probe,
    run_command,
    shell_script,
    stage_named,
)


def _install_line() -> str:
    (line,) = [run_command(a) for a in stage_named("build").args_of("RUN") if "pip install" in a]
    return line


def test_the_image_is_built_in_stages_on_slim_python_3_11() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    assert all(stage.base.startswith("python:3.11-slim") for stage in stages)


def test_the_final_stage_carries_the_built_venv_and_no_source() -> None:
    assert final_stage().args_of("COPY") == ["--from=build /opt/venv /opt/venv"]
    assert not any("pip" in run for run in final_stage().args_of("RUN"))


def test_the_container_runs_as_a_non_root_user() -> None:
    users = final_stage().args_of("USER")
    assert users, "the final stage sets no USER, so the app would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dependencies_come_from_the_hashed_lock_then_the_project_without_extras() -> None:
    locked, project = (shlex.split(step) for step in _install_line().split("&&"))
    assert locked[:2] == ["pip", "install"] and "--require-hashes" in locked
    # The runtime packages and the tracing extra's, as requirements.lock pins the former.
    assert locked[locked.index("-r") + 1] == "requirements-otel.lock"
    assert project[:2] == ["pip", "install"] and "--no-deps" in project
    assert project[-1] == ".", "install the project itself, non-editable and with no extras"
    words = locked + project
    assert "-e" not in words and not any("[" in word for word in words)
    copied = " ".join(stage_named("build").args_of("COPY")).split()
    assert "requirements-otel.lock" in copied and "pyproject.toml" in copied


def test_the_build_stage_copies_every_file_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = {project["readme"], *project["license-files"]}
    copied = " ".join(stage_named("build").args_of("COPY")).split()
    assert named == {"README.md", "LICENSE"} and named <= set(copied)


def test_the_build_backend_is_the_pinned_one_from_the_hashed_build_lock() -> None:
    (backend,) = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    name, version = backend.split("==")  # an exact pin, not a range
    assert lock_versions("requirements-build.lock") == {name: version}
    locked, project = (shlex.split(step) for step in _install_line().split("&&"))
    assert "requirements-build.lock" in locked and "--require-hashes" in locked
    # Built with what that lock installed, not with a backend pip fetches unchecked.
    assert "--no-build-isolation" in project
    assert "requirements-build.lock" in " ".join(stage_named("build").args_of("COPY")).split()


def test_the_command_is_the_real_cli_with_flags_its_parser_accepts() -> None:
    program, *argv = cmd_argv()
    args = build_parser().parse_args(argv)
    assert program == "skycache"
    assert (args.command, args.host, args.port, args.workers) == ("serve", "0.0.0.0", 8000, 2)
    assert final_stage().args_of("EXPOSE") == [str(args.port)]


@pytest.mark.parametrize(("env", "workers"), [({}, "2"), ({"SKYCACHE_WORKERS": "5"}, "5")])
def test_the_shell_hands_over_to_the_cli_with_workers_from_the_environment(
    tmp_path: Path, env: dict[str, str], workers: str
) -> None:
    stub = tmp_path / "skycache"
    stub.write_text('#!/bin/sh\necho "$$" "$@"\n')
    stub.chmod(0o755)
    (cmd,) = final_stage().args_of("CMD")
    assert shell_script(exec_form(cmd)).startswith("exec "), "without exec, SIGTERM hits sh"
    run = subprocess.Popen(
        exec_form(cmd), env={"PATH": f"{tmp_path}:/usr/bin:/bin", **env}, stdout=subprocess.PIPE
    )
    out, _ = run.communicate(timeout=10)
    pid, *argv = out.decode().split()
    assert int(pid) == run.pid, "the CLI must replace the shell as the container's PID 1"
    assert build_parser().parse_args(argv).workers == int(workers)


def _handler(status: int) -> type[BaseHTTPRequestHandler]:
    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    return Healthz


@contextmanager
def healthz_answering(status: int) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(status))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_healthcheck_passes_when_healthz_answers_200() -> None:
    with healthz_answering(200) as port:
        assert probe(port) == 0


def test_the_healthcheck_fails_on_an_error_status() -> None:
    with healthz_answering(503) as port:
        assert probe(port) != 0


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the probe runs
    assert probe(port) != 0


def test_the_dockerignore_keeps_local_state_out_but_not_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".git", ".venv"} <= set(patterns)
    for args in stage_named("build").args_of("COPY"):
        for source in shlex.split(args)[:-1]:
            assert not any(fnmatch.fnmatch(source, p) for p in patterns), source
