"""What the Redis Cluster and Sentinel compose files promise alike about their app service:
two instances behind the edge, setting only variables the service reads."""

from __future__ import annotations

from typing import Any

from entrypoints.settings import documented_variables
from tests.deploy.recipe import DEPLOY, environment

# Read by the image's CMD, and by uvicorn itself (test_compose.py says why).
NOT_SETTINGS = {"SKYCACHE_WORKERS", "FORWARDED_ALLOW_IPS"}


def undocumented_app_variables(services: dict[str, Any]) -> set[str]:
    """The variables the app service sets that the service never reads."""
    return set(environment(services["app"])) - set(documented_variables()) - NOT_SETTINGS


def assert_two_apps_behind_the_edge(services: dict[str, Any]) -> None:
    app, edge = services["app"], services["edge"]
    assert app["deploy"]["replicas"] == 2
    assert "ports" not in app, "reachable only through the edge"
    # nginx resolves `app` to every replica's address and balances over them.
    assert "./nginx/skycache.conf:/etc/nginx/conf.d/default.conf:ro" in edge["volumes"]
    assert "server app:8000;" in (DEPLOY / "nginx" / "skycache.conf").read_text()
    assert edge["depends_on"]["app"]["condition"] == "service_healthy"
