"""`make run` installs what serving needs; the test tools come with `make test` only; both
from locks that pin every package with its hashes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.deploy.recipe import lock_versions

ROOT = Path(__file__).resolve().parents[2]
LOCKS = (
    "requirements.lock",
    "requirements-test.lock",
    "requirements-bench.lock",
    "requirements-build.lock",
    "requirements-otel.lock",
)


def recipe(target: str) -> tuple[str, list[str]]:
    """A Makefile rule's prerequisites and its recipe lines."""
    text = (ROOT / "Makefile").read_text()
    rule = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
    assert rule is not None, f"no rule for {target}"
    return rule[1].strip(), [line.strip() for line in rule[2].splitlines()]


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_the_hashed_runtime_lock_then_the_project_without_extras() -> None:
    prerequisites, _ = recipe("run")
    assert prerequisites == "$(BIN)/skycache"
    _, lines = recipe("$(BIN)/skycache")
    assert installs(lines) == [
        "$(BIN)/pip install --quiet --require-hashes -r requirements.lock",
        "$(BIN)/pip install --quiet --no-deps -e .",
    ]


def test_make_test_adds_the_hashed_test_lock_to_the_same_venv() -> None:
    prerequisites, _ = recipe("test")
    assert "$(VENV)/.test-extras" in prerequisites.split()
    extras_prerequisites, lines = recipe("$(VENV)/.test-extras")
    assert extras_prerequisites.split() == ["$(BIN)/skycache", "requirements-test.lock"]
    assert installs(lines) == [
        "URLLIB3_NO_OVERRIDE=1 $(BIN)/pip install --quiet --require-hashes"
        " --no-binary urllib3-future -r requirements-test.lock"
    ]


def test_the_test_venv_imports_the_real_urllib3_beside_urllib3_future() -> None:
    # urllib3-future's wheel replaces urllib3/ with its own copy (and again at every start);
    # requests, and so schemathesis, need the real one, and niquests needs only its own.
    from urllib3._version import __version__ as imported
    from urllib3_future._version import __version__ as imported_future

    pins = lock_versions(LOCKS[1])
    assert imported == metadata.version("urllib3") == pins["urllib3"]
    assert imported_future == pins["urllib3-future"]


def test_the_test_lock_pins_the_runtime_packages_as_the_runtime_lock_does() -> None:
    runtime, test = (lock_versions(name) for name in LOCKS[:2])
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_images_otel_lock_pins_what_the_runtime_and_test_locks_pin() -> None:
    runtime, test, otel = (
        lock_versions(name)
        for name in ("requirements.lock", "requirements-test.lock", "requirements-otel.lock")
    )
    assert {name: otel.get(name) for name in runtime} == runtime
    assert {name: test.get(name) for name in otel} == otel


def test_every_pin_of_every_lock_carries_its_hashes() -> None:
    for name in LOCKS:
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text())
        pins = [entry for entry in entries if "==" in entry.split("\n")[0]]
        assert pins, f"{name} pins nothing"
        assert all("--hash=sha256:" in entry for entry in pins), name


TINY_PROJECT = """
[build-system]
requires = ["setuptools==80.9.0"]
build-backend = "setuptools.build_meta"

[project]
name = "skycache"
version = "0.0.1"
scripts = {skycache = "tiny:main"}

[tool.setuptools]
py-modules = ["tiny"]
"""


def _one_pin(lock: str, name: str) -> str:
    """`name`'s entry in a lock, with its hashes (a package with no dependencies)."""
    (entry,) = [e for e in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
                if e.startswith(f"{name}==")]  # fmt: skip
    return entry + "\n"


@pytest.mark.slow
def test_make_run_rebuilds_a_venv_left_half_built_by_an_interrupted_first_run(
    tmp_path: Path,
) -> None:
    # The real Makefile over a one-module project and a one-package lock (from the real one).
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text(TINY_PROJECT)
    (tmp_path / "tiny.py").write_text("def main() -> None:\n    print('tiny')\n")
    (tmp_path / "setup.py").write_text("from setuptools import setup\n\nsetup()\n")
    (tmp_path / "requirements.lock").write_text(_one_pin("requirements.lock", "idna"))
    python = str(Path(sys.base_prefix) / "bin" / "python3")
    # What a Ctrl-C during the first run's `pip install --upgrade pip` leaves: a venv whose
    # pip is half replaced and cannot start, and no bin/skycache.
    subprocess.run([python, "-m", "venv", tmp_path / ".venv"], check=True, timeout=120)
    (pip_package,) = (tmp_path / ".venv" / "lib").glob("python3*/site-packages/pip")
    shutil.rmtree(pip_package / "_internal" / "cli")

    again = subprocess.run(
        ["make", "-C", str(tmp_path), f"PYTHON={python}", ".venv/bin/skycache"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    ran = subprocess.run(
        [tmp_path / ".venv" / "bin" / "skycache"], capture_output=True, text=True, timeout=30
    )
    assert ran.stdout == "tiny\n"
    installed = subprocess.run(
        [tmp_path / ".venv" / "bin" / "pip", "--version"], capture_output=True, timeout=60
    )
    assert installed.returncode == 0  # pip itself works again
