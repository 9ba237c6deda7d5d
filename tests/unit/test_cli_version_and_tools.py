"""`skycache --version` from the installed metadata; `loadtest` without the test tools."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(
    python: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "skycache", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_distributions_version(flag: str) -> None:
    shown = run(sys.executable, flag)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"skycache {importlib.metadata.version('skycache')}\n"
    assert importlib.metadata.version("skycache") == declared


def test_loadtest_without_locust_says_to_install_the_test_tools_in_one_line(
    tmp_path: Path,
) -> None:
    # The venv's packages and the project, run by a Python outside the venv whose bin/
    # holds no locust, with no locust on PATH: an install without the test extra.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    site = sysconfig.get_paths()["purelib"]
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT}:{site}",
        "HOME": str(tmp_path),
        "SKYCACHE_CACHE": "memory",
    }
    assert os.system(f"PATH={env['PATH']} command -v locust >/dev/null") != 0
    refused = run(str(python), "loadtest", "--out", str(tmp_path / "out"), env=env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "Locust is not installed" in refused.stderr and "pip install '.[test]'" in refused.stderr
    assert not (tmp_path / "out").exists()  # nothing started, nothing written
