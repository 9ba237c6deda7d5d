"""The soak's short form: a minute and a half of open-loop load on two instances while a
worker is killed mid-fetch, an instance is restarted, the pub/sub connections are cut,
and Redis is killed and restarted empty, each in turn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.soak.faults import CRASHES, FAULTS
from tests.e2e.conftest import LOAD_TEST

ROOT = Path(__file__).resolve().parents[2]

pytestmark = LOAD_TEST


def test_kills_and_restarts_lose_no_answer_and_never_double_a_fetch(tmp_path: Path) -> None:
    figures = tmp_path / "soak.json"
    command = [sys.executable, "-m", "bench.soak", "--minutes", "1.5", "--rate", "25"]
    command += ["--faults", "crash", "--json", str(figures), "--no-write"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    print(done.stdout)

    assert result["faults_that_failed_to_apply"] == 0, done.stderr
    crash_ids = {fault.id for fault in FAULTS if fault.name in CRASHES}
    assert "redis-restart" in crash_ids  # its holders re-assert: no second fetch either
    assert set(result["phases"]) == crash_ids  # each one happened
    assert result["requests"] >= 25 * 85
    assert result["unexplained_5xx"] == 0, result["unexplained_examples"]
    assert result["outcomes"]["200"] > result["requests"] / 2
    # A fetch overlaps another neither in calm nor when a worker or an instance dies, nor
    # when Redis restarts empty (docs/ARCHITECTURE.md, "Leases across a Redis restart").
    for fault in [*crash_ids, "calm"]:
        overlapping = result["overlaps_by_fault"].get(fault, 0)
        assert overlapping == 0, result["overlap_examples"]
