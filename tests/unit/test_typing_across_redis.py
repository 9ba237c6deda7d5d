"""mypy --strict holds across the redis-py range pyproject.toml allows, not only the locked one.

`pip install .[test]` without the lock takes the newest redis in the range; a `type: ignore`
that a newer release makes unused would fail `make lint` there (redis 8.2 annotated what
8.1 left untyped)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mypy_strict_passes_with_the_newest_redis_the_range_allows(tmp_path: Path) -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (allowed,) = [d for d in dependencies if d.startswith("redis")]
    newest = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            newest,
            allowed,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    (dist_info,) = newest.glob("redis-*.dist-info")
    print(f"\nmypy against {dist_info.name.removesuffix('.dist-info')} ({allowed})")
    # First on the path, ahead of the venv's own (locked) redis.
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(newest)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
