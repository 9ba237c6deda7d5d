"""The benchmark itself, in its smoke mode, so that it cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("load")]


def test_the_benchmark_runs_end_to_end_and_prints_its_table() -> None:
    # Numbers are not checked: a busy 2-core box would make any bound flaky.
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "| server | req/s | p50 ms | p99 ms |" in out
    for row in ("raw ASGI ceiling", "Skycache warm hits", "Skycache Redis hits", "old design"):
        assert f"| {row}" in out
    assert "errors)" not in out  # no row reports failed requests
    assert "- Redis memory per city:" in out
    assert "- worker RSS" in out
