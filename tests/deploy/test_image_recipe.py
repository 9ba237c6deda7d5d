"""The image recipe replayed without Docker: the build stage's steps in a fresh venv, then serve."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from entrypoints.launcher import Launcher, free_port
from tests.deploy.recipe import (
    ROOT,
    lock_versions,
    normalise,
    probe,
    replay_copies,
    run_command,
    stage_named,
)
from tests.support.processes import launched

# No Docker engine here: the build stage's COPYs and `pip install` line run on the host (pip's
# cache keeps it quick), then the installed CLI is started as the CMD starts it and stopped as
# `docker stop` stops it.

# The venv is built once: one xdist worker runs the whole module, and keeps the venv for the
# session, as it may run other modules' tests between these.
pytestmark = pytest.mark.xdist_group("image_venv")

# The venv's own tooling, not project dependencies.
TOOLING = {"pip", "setuptools", "wheel", "skycache"}

LIST_DISTRIBUTIONS = """
import importlib.metadata as m, json
print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))
"""


def _bin(venv: Path, name: str) -> str:
    return str(venv / "bin" / name)


def _python(
    venv: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The venv's own python run with `args`, its output captured, bounded in time."""
    command = [_bin(venv, "python"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="session")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding what the image's /opt/venv holds, built by the Dockerfile's own steps."""
    work = tmp_path_factory.mktemp("image")
    src, venv = work / "src", work / "venv"
    build = stage_named("build")
    replay_copies(build, src)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=60)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(venv))
    for step in [run_command(a) for a in build.args_of("RUN") if "pip install" in a]:
        done = subprocess.run(
            ["sh", "-c", step], cwd=src, env=env, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, f"{step} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return venv


def _installed(venv: Path) -> dict[str, str]:
    listing = _python(venv, "-c", LIST_DISTRIBUTIONS)
    assert listing.returncode == 0, listing.stderr
    return {normalise(name): version for name, version in json.loads(listing.stdout).items()}


def _extra(name: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["optional-dependencies"][name]
    return {normalise(re.split(r"[\[<>=!~; ]", req)[0]) for req in requirements}


def test_the_image_gets_runtime_packages_and_the_tracing_extra_only(image_venv: Path) -> None:
    installed = set(_installed(image_venv))
    assert _extra("otel") <= installed
    assert not (_extra("test") - _extra("otel") - {"opentelemetry-proto"}) & installed


def test_every_installed_package_is_pinned_by_the_lock(image_venv: Path) -> None:
    locked = lock_versions("requirements-otel.lock")
    installed = {n: v for n, v in _installed(image_venv).items() if n not in TOOLING}
    assert {n: v for n, v in installed.items() if locked.get(n) != v} == {}


def test_the_built_metadata_carries_the_version_and_the_mit_licence(image_venv: Path) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = subprocess.run(
        [_bin(image_venv, "skycache"), "--version"], capture_output=True, text=True, timeout=30
    )
    assert shown.stdout == f"skycache {declared}\n"
    read = (
        "import importlib.metadata as m, json; d = m.metadata('skycache'); "
        "print(json.dumps([d['License-Expression'], d.get_all('License-File')]))"
    )
    # cwd outside the repo: its editable install's skycache.egg-info would answer first.
    fields = _python(image_venv, "-c", read, cwd=image_venv)
    assert json.loads(fields.stdout) == ["MIT", ["LICENSE"]], fields.stderr
    show = (
        "import importlib.metadata as m; print(next(f for f in m.files('skycache')"
        " if f.parts[-2:] == ('licenses', 'LICENSE')).read_text())"
    )
    shown_licence = _python(image_venv, "-c", show, cwd=image_venv)
    assert shown_licence.returncode == 0, shown_licence.stderr
    licence = shown_licence.stdout
    assert "MIT License" in licence and "Copyright (c) 2026 The Skycache authors" in licence


@pytest.fixture
def served(image_venv: Path, tmp_path: Path) -> Iterator[tuple[Launcher, int, Path]]:
    port, log = free_port(), tmp_path / "skycache.log"
    env = {
        "PATH": f"{image_venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SKYCACHE_CACHE": "memory",
        "WEATHER_PROVIDER": "simulated",
        "LOG_LEVEL": "info",  # the shutdown lines below are logged at info
    }
    command = [_bin(image_venv, "skycache"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    # cwd outside the repo: the app must come from the venv, not from the working tree.
    app = launched(
        "skycache",
        [*command, "--workers", "1"],
        port,
        log,
        timeout_s=30,
        env=env,
        cwd=tmp_path,
        probe_timeout_s=1.0,
    )
    try:
        yield app, port, log
    finally:
        app.kill()


def test_the_installed_app_serves_passes_its_healthcheck_and_stops_on_sigterm(
    served: tuple[Launcher, int, Path], image_venv: Path
) -> None:
    app, port, log = served
    assert probe(port, python=_bin(image_venv, "python")) == 0
    # `docker stop` signals PID 1 only, which the CMD's `exec` makes the CLI itself.
    # After a graceful shutdown uvicorn re-raises the signal it caught, so "terminated by
    # SIGTERM" (docker's exit 143) is a clean exit too; the log tells it from a hard kill.
    assert app.terminate(grace_s=10) in (0, -signal.SIGTERM)
    output = log.read_text()
    assert "Application shutdown complete." in output, output[-4000:]
    assert "Traceback" not in output, output[-4000:]


def test_the_installed_skycache_claims_one_top_level_name(image_venv: Path, tmp_path: Path) -> None:
    """The layers live under skycache/_layers/: an unrelated distribution named `entrypoints`
    (or `adapters`, `domain`, `ports`) installs beside Skycache without either overwriting
    the other's files, and only Skycache's own process puts its layers on sys.path."""
    dist = next((image_venv / "lib").glob("python3*/site-packages/skycache-*.dist-info"))
    top_level = {
        line.split("/")[0]
        for line in (dist / "RECORD").read_text().splitlines()
        if not line.startswith(("skycache-", "../"))
    }
    assert top_level == {"skycache"}
    # As a user's shell would run it: no PYTHONPATH pointing into a checkout.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    outside = _python(image_venv, "-c", "import entrypoints", cwd=tmp_path, env=env)
    assert "No module named 'entrypoints'" in outside.stderr
    inside = _python(image_venv, "-m", "skycache", "config", "--json", cwd=tmp_path, env=env)
    assert inside.returncode == 0 and '"WEATHER_TTL"' in inside.stdout, inside.stderr
