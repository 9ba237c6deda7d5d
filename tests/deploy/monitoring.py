"""The monitoring files under deploy/: the alert rules, the dashboard, and their queries."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.recipe import DEPLOY

PROMETHEUS = DEPLOY / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "skycache.json"
METRIC = re.compile(r"\b(skycache_[a-z0-9_]+|up)\b(?=\s*[{\[)=<>!]|\s*$)")


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panel_queries() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def alert_queries() -> dict[str, str]:
    return {rule["alert"]: " ".join(rule["expr"].split()) for rule in alert_rules()}


def metrics_in(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not its functions or labels)."""
    return set(METRIC.findall(expr))


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text())
