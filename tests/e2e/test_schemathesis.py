"""Schemathesis against the service's own OpenAPI schema: no 5xx, every error body JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LOAD_TEST, StartApp

pytestmark = LOAD_TEST

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Size-limited requests (a long city of multi-byte characters can encode past 2 KB) are
# refused with 414, which is as much a rejection of bad data as a 400.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "404", "405", "414"]
"""
# positive_data_acceptance is left out: a schema-valid string is often no city
# ("0", "\\u0000"), and "letters of any script" has no portable JSON Schema pattern.
# /metrics is Prometheus text for scrapers, with nothing to fuzz.
COMMAND = [
    "--checks", "all",
    "--exclude-checks", "positive_data_acceptance",
    "--exclude-path", "/metrics",
    "--continue-on-failure",
    "--max-examples", "1000",
    "--workers", "2",
    "--no-shrink",
    "--generation-database", "none",
]  # fmt: skip


# A bound against a hung run, not a speed target: about 30 s on an idle 2-core machine,
# past 180 s while other test runs share its cores.
TIMEOUT_S = 600


def run_schemathesis(url: str, workdir: Path) -> tuple[subprocess.CompletedProcess[str], Any]:
    (workdir / "schemathesis.toml").write_text(CONFIG)
    har = workdir / "run.har"
    command = [str(SCHEMATHESIS), "--config-file", str(workdir / "schemathesis.toml"), "run"]
    command += [f"{url}/schema/openapi.json", *COMMAND, "--report", "har"]
    command += ["--report-har-path", str(har), "--no-color"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=workdir)
    return done, json.loads(har.read_text())["log"]["entries"]


def test_generated_requests_never_get_a_5xx_and_every_error_is_json(
    start_app: StartApp, tmp_path: Path
) -> None:
    assert SCHEMATHESIS.exists(), "schemathesis is a test dependency: pip install -e '.[test]'"
    app = start_app()
    done, entries = run_schemathesis(app.url, tmp_path)

    statuses = Counter(e["response"]["status"] for e in entries)
    errors = [e["response"] for e in entries if e["response"]["status"] >= 400]
    not_json = [r for r in errors if r["content"]["mimeType"] != "application/json"]
    bodies = [json.loads(r["content"]["text"]) for r in errors if r not in not_json]
    operations = Counter(
        (e["request"]["method"], e["request"]["url"].split("?")[0].removeprefix(app.url))
        for e in entries
    )
    print(f"\nschemathesis: {len(entries)} requests, statuses {dict(statuses)}, {dict(operations)}")
    assert done.returncode == 0, done.stdout[-4000:]
    assert len(entries) >= 1000, statuses
    assert operations["POST", "/weather/batch"] >= 100, operations  # the new ones, too
    assert not [s for s in statuses if s >= 500], statuses
    assert not not_json
    assert all(body["status_code"] in statuses for body in bodies)
    assert not any("Traceback" in r["content"]["text"] for r in errors)
