"""deploy/prometheus and deploy/grafana: valid to promtool and Grafana's JSON model, every
query naming metrics Skycache exports, and wired into the Compose `monitoring` profile.
`make test` installs Debian's prometheus, which brings promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
from prometheus_client.core import Metric

from adapters.observability.prometheus_instruments import Instruments
from adapters.observability.readings import Readings
from tests.deploy.monitoring import (
    ALERTS,
    DASHBOARD,
    PROMETHEUS,
    alert_queries,
    alert_rules,
    dashboard,
    metrics_in,
    panel_queries,
    read,
)
from tests.deploy.recipe import DEPLOY, compose

PROMTOOL = shutil.which("promtool")
SCHEMA = Path(__file__).with_name("grafana-dashboard.schema.json")
# The names of docs/OPERATIONS.md's runbook sections, one an alert.
RUNBOOK = DEPLOY.parent / "docs" / "OPERATIONS.md"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool is missing: `make test` installs it (apt-get install prometheus)"
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def exported() -> set[str]:
    """Every series name a Skycache scrape can hold, from the instruments themselves."""
    families: list[Metric] = Instruments(multiprocess=False).collect()
    families += Readings(provider_healthy=True, redis_up=True).families()
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}
    return {f.name + suffix for f in families for suffix in suffixes[f.type]}


def test_promtool_finds_the_rules_valid() -> None:
    checked = promtool("check", "rules", ALERTS.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in checked.stdout


def test_promtool_finds_the_config_valid_with_its_rule_file() -> None:
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout


def test_each_alert_fires_on_its_trouble_and_stays_silent_otherwise() -> None:
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = read(PROMETHEUS / "alerts_test.yml")["tests"]
    fired = {
        case["alertname"]
        for test in cases
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    silent = {
        case["alertname"]
        for test in cases
        for case in test["alert_rule_test"]
        if not case["exp_alerts"]
    }
    every = {rule["alert"] for rule in alert_rules()}
    assert fired == every and silent >= every - {"SkycacheDown"}, (fired, silent)


def test_the_alerts_cover_what_operators_need_to_hear_about() -> None:
    assert {rule["alert"] for rule in alert_rules()} >= {
        "SkycacheHitRatioLow",
        "SkycacheUpstreamErrors",
        "SkycacheBreakerOpen",
        "SkycacheQuotaNearLimit",
        "SkycacheRedisDown",
        "SkycacheStaleAnswers",
        "SkycacheHigh5xx",
    }


def test_every_alert_has_a_summary_and_a_runbook_section() -> None:
    runbook = RUNBOOK.read_text()
    headings = {h.strip().lower() for h in re.findall(r"^### (.+)$", runbook, re.MULTILINE)}
    for rule in alert_rules():
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["runbook"] == f"docs/OPERATIONS.md#{rule['alert'].lower()}"
        assert rule["alert"].lower() in headings, f"no runbook section for {rule['alert']}"


def test_every_query_names_only_metrics_skycache_exports() -> None:
    names = exported() | {"up"}
    queries = [*alert_queries().values(), *panel_queries()]
    for expr in queries:
        used = metrics_in(expr)
        assert used, f"no metric found in {expr}"
        assert used <= names, f"{sorted(used - names)} in {expr} are not exported"


def test_the_dashboard_is_valid_grafana_json() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(dashboard()))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    panels = dashboard()["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    # No two panels on the same cells of Grafana's 24-column grid.
    cells = [
        (p["gridPos"]["x"] + dx, p["gridPos"]["y"] + dy)
        for p in panels
        for dx in range(p["gridPos"]["w"])
        for dy in range(p["gridPos"]["h"])
    ]
    assert len(cells) == len(set(cells))
    assert all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in panels)


def test_the_dashboard_shows_what_the_status_page_shows() -> None:
    titles = " ".join(p["title"].lower() for p in dashboard()["panels"])
    for shown in ("hit ratio", "outcome", "quota", "errors", "stale", "latency", "breaker"):
        assert shown in titles, shown
    assert "redis" in titles and "top cities" in titles


def test_every_panel_reads_the_provisioned_datasource() -> None:
    (source,) = read(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")[
        "datasources"
    ]
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": "prometheus", "uid": source["uid"]}
    assert source["url"] == "http://prometheus:9090"


def test_the_monitoring_profile_runs_prometheus_and_grafana_on_these_files() -> None:
    services = compose()["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    for service in (prometheus, grafana):
        assert service["profiles"] == ["monitoring"]
        assert not service["image"].endswith(":latest") and ":" in service["image"]
        assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert "./prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    scraped = read(PROMETHEUS / "prometheus.yml")["scrape_configs"][0]
    (target,) = scraped["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in services and "build" in services[host] and port == "8000"
    assert prometheus["depends_on"][host]["condition"] == "service_healthy"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"]}
    provider = read(DEPLOY / "grafana" / "provisioning" / "dashboards" / "skycache.yml")
    dashboards = provider["providers"][0]["options"]["path"]
    assert (DEPLOY / mounts[dashboards] / DASHBOARD.name).is_file()
    assert (DEPLOY / mounts["/etc/grafana/provisioning"] / "datasources").is_dir()
