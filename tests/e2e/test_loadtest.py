"""`skycache loadtest` and the locustfile, each in its own process: Locust patches the stdlib."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.loadtest.command import LOCUSTFILE, TOTALS
from entrypoints.loadtest.report import read_final_totals, read_totals
from entrypoints.loadtest.service import redis_answers
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("load")

# Imports the locustfile (and so Locust) in a child and runs its body checks on argv's bodies.
CHECK_BODIES = """
import json, sys
sys.path.insert(0, sys.argv[1])
import locustfile
check = getattr(locustfile, sys.argv[2])
print(json.dumps([check(body) is None for body in json.loads(sys.argv[3])]))
"""
WEATHER = {"city": "Boise", "temperature": 21.5, "humidity": 40, "description": "Clear sky"}
STATS = {"cache_hits": 9, "cache_misses": 1, "api_calls": 1, "avoided_api_calls": 9}


def report_totals(report_html: Path) -> dict[str, object]:
    """The Aggregated row of the request statistics embedded in Locust's report.html."""
    match = re.search(r"window\.templateArgs = (\{.*?\})\s*$", report_html.read_text(), re.M)
    assert match is not None, "report.html embeds no templateArgs"
    rows = json.loads(match[1])["requests_statistics"]
    aggregated: dict[str, object] = next(r for r in rows if r["name"] == "Aggregated")
    return aggregated


def _accepted(check: str, bodies: list[object]) -> list[bool]:
    command = [
        sys.executable,
        "-c",
        CHECK_BODIES,
        str(LOCUSTFILE.parent),
        check,
        json.dumps(bodies),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    accepted: list[bool] = json.loads(run.stdout.splitlines()[-1])
    return accepted


def _loadtest(
    out: Path, env: dict[str, str], run_time: str, *options: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "skycache", "loadtest", "--out", str(out), *options]
    command += ["--users", "20", "--spawn-rate", "20", "--run-time", run_time]
    # A short flush interval keeps the wait for the workers' counters short; a roomier Redis
    # timeout keeps a worker's start-up PING from failing while Locust shares the two cores.
    env = {**os.environ, "METRICS_FLUSH_INTERVAL": "0.2", "REDIS_TIMEOUT": "1", **env}
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=90)


def test_the_locustfile_fails_weather_without_a_required_field() -> None:
    bodies: list[object] = [WEATHER, [], {**WEATHER, "temperature": "warm"}]
    bodies += [{**WEATHER, "temperature": True}, {**WEATHER, "humidity": None}]
    bodies += [{k: v for k, v in WEATHER.items() if k != "description"}]
    assert _accepted("weather_problem", bodies) == [True] + [False] * 5


def test_the_locustfile_fails_stats_without_the_hit_ratio() -> None:
    bodies = [{**STATS, "hit_ratio": 0.9}, {**STATS, "hit_ratio": None}, STATS]
    assert _accepted("stats_problem", bodies) == [True, True, False]


@pytest.mark.integration
def test_only_a_live_redis_counts_as_answering(redis_url: str) -> None:
    assert redis_answers(redis_url)
    assert not redis_answers(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5)


@pytest.mark.e2e
@pytest.mark.integration
def test_a_short_run_on_redis_passes_and_writes_the_csv_and_html_reports(
    redis_url: str, tmp_path: Path
) -> None:
    run = _loadtest(tmp_path, {"REDIS_URL": redis_url}, run_time="8s")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "simulated provider, Redis" in run.stdout
    totals = read_totals(tmp_path / "locust_stats.csv")
    assert totals.requests > 0 and totals.failures == 0
    with (tmp_path / "locust_stats.csv").open(newline="") as file:
        names = {row["Name"] for row in csv.DictReader(file)}
    assert {"/weather [hot]", "/weather [tail]"} <= names
    # The report embeds the run's history, which its charts are drawn from.
    assert '"history": [{' in (tmp_path / "report.html").read_text()
    # The summary counts what the report counts, the run's last second included.
    summary = re.search(r"requests (\d+), failures (\d+)", run.stdout)
    assert summary is not None, run.stdout
    report = report_totals(tmp_path / "report.html")
    assert (int(summary[1]), int(summary[2])) == (report["num_requests"], report["num_failures"])
    assert int(summary[1]) >= totals.requests
    # The service's own log lines are kept beside the report.
    service_log = (tmp_path / "service.log").read_text()
    assert '"msg":"starting on 127.0.0.1:' in service_log
    assert '"logger":"skycache.access"' not in service_log


@pytest.mark.e2e
def test_a_run_whose_upstream_always_fails_exits_non_zero(tmp_path: Path) -> None:
    # Nothing listens on a fresh free port: the command falls back to an in-memory cache,
    # so no weather cached by an earlier run can hide the failures.
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "SIMULATED_FAILURE_RATE": "1"}
    run = _loadtest(tmp_path, env, run_time="2s")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "in-memory cache" in run.stdout
    assert "requests failed" in run.stdout


@pytest.mark.e2e
def test_a_host_that_does_not_answer_fails_every_request(tmp_path: Path) -> None:
    run = _loadtest(tmp_path, {}, "3s", "--host", f"http://127.0.0.1:{free_port()}")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "/stats did not answer" in run.stdout
    # The totals written as Locust quits, not its CSV: that is a snapshot taken once a
    # second, which on a busy machine may not have caught a single request yet.
    totals = read_final_totals(tmp_path / TOTALS)
    assert totals.failures == totals.requests > 0
