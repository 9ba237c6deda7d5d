"""Debian's prometheus on loopback scrapes two Skycache instances and evaluates every
expression of deploy/prometheus/alerts.yml and the Grafana dashboard: a metric name that
Skycache does not export (a typo) fails here, not in production.

Each panel query must return data; each alert expression must evaluate without error as a
loaded rule, and every metric it names must have series (an alert's condition is rightly
empty while all is well). `make test` installs the prometheus package."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from entrypoints.launcher import free_port
from tests.deploy.monitoring import ALERTS, alert_queries, metrics_in, panel_queries
from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.fake_open_meteo import FakeOpenMeteo
from tests.support.fake_open_meteo.cities import HOT_CITIES
from tests.support.processes import stop

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PROMETHEUS = shutil.which("prometheus")


class Prometheus:
    """A prometheus server on a loopback port, scraping `targets` every second."""

    def __init__(self, workdir: Path, targets: list[str]) -> None:
        assert PROMETHEUS, "prometheus is missing: `make test` installs it"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [{"job_name": "skycache", "static_configs": [{"targets": targets}]}],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self._log = (workdir / "prometheus.log").open("w")
        self._process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def api(self, path: str, **params: str) -> Any:
        reply = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10).json()
        assert reply["status"] == "success", reply
        return reply["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._process.poll() is None, "prometheus exited; see prometheus.log"
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("prometheus did not get ready")

    def stop(self) -> None:
        stop(self._process, grace_s=15)
        self._log.close()


@pytest.fixture
def instances(start_app: StartApp, fake_open_meteo: FakeOpenMeteo) -> list[AppServer]:
    """Two instances on one Redis, each with two workers, after a little of every kind of
    traffic: misses, hits, unknown cities, and a failing upstream (503s)."""
    apps = [start_app(workers=2), start_app(workers=2)]
    fake_open_meteo.set(mode="error500", only=["Topeka"])
    for app in apps:
        with httpx.Client(base_url=app.url, timeout=10) as client:
            for city in [*HOT_CITIES, *HOT_CITIES, "Atlantis", "Atlantis", "Topeka"]:
                client.get("/weather", params={"city": city})
    return apps


@pytest.fixture
def prometheus(instances: list[AppServer], tmp_path: Path) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path, [app.url.removeprefix("http://") for app in instances])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def wait_for_scrapes(prometheus: Prometheus, count: int, timeout_s: float = 60.0) -> None:
    """Until every target was scraped `count` times and each rule was evaluated."""
    deadline = time.monotonic() + timeout_s
    expr = f'count_over_time(up{{job="skycache"}}[5m]) >= {count} and up == 1'
    while time.monotonic() < deadline:
        rules = prometheus.api("rules")["groups"]
        evaluated = rules and all(r.get("lastEvaluation", "0001")[:4] != "0001"
                                  for g in rules for r in g["rules"])  # fmt: skip
        if len(prometheus.query(expr)) == 2 and evaluated:
            return
        time.sleep(0.5)
    raise AssertionError(f"two targets were not scraped {count} times")


def test_every_alert_and_dashboard_expression_finds_skycache_series_of_both_instances(
    prometheus: Prometheus, instances: list[AppServer]
) -> None:
    wait_for_scrapes(prometheus, 3)
    time.sleep(1.5)  # the rules evaluated over those scrapes, once more

    targets = prometheus.api("targets")["activeTargets"]
    assert sorted(t["health"] for t in targets) == ["up", "up"], targets

    empty = [expr for expr in panel_queries() if not prometheus.query(expr)]
    assert not empty, f"dashboard queries without data: {empty}"

    rules = {r["name"]: r for g in prometheus.api("rules")["groups"] for r in g["rules"]}
    assert set(rules) == set(alert_queries())
    for name, expr in alert_queries().items():
        assert rules[name]["health"] == "ok", (name, rules[name].get("lastError"))
        prometheus.query(expr)  # evaluates: a syntax or type error fails api()
        for metric in metrics_in(expr):
            series = prometheus.query(f"group by (instance) ({metric})")
            assert len(series) == 2, f"{name}: {metric} is not scraped from both instances"

    # The counters Prometheus sums over the instances are the ones /stats reports.
    stats = httpx.get(f"{instances[0].url}/stats").json()
    for counter in ("cache_hits", "cache_misses", "api_calls", "upstream_errors"):
        (summed,) = prometheus.query(f"sum(skycache_{counter}_total)")
        assert int(float(summed["value"][1])) == stats[counter], counter
    # Nothing is firing on this healthy-enough traffic but what the 503s earn.
    firing = {a["labels"]["alertname"] for a in prometheus.api("alerts")["alerts"]}
    assert "SkycacheRedisDown" not in firing and "SkycacheBreakerOpen" not in firing
