"""What the Redis Cluster and Sentinel compose files promise alike: a valid compose file,
and an app service of two instances behind the edge, setting only variables it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from entrypoints.settings import documented_variables
from tests.deploy.recipe import DEPLOY, environment

SCHEMA = Path(__file__).with_name("compose-spec.json")  # see test_compose.py
# Read by the image's CMD, and by uvicorn itself (test_compose.py says why).
NOT_SETTINGS = {"SKYCACHE_WORKERS", "FORWARDED_ALLOW_IPS"}


def assert_the_app_sets_only_what_it_reads(services: dict[str, Any]) -> None:
    unknown = set(environment(services["app"])) - set(documented_variables()) - NOT_SETTINGS
    assert not unknown, f"the app sets variables the service never reads: {sorted(unknown)}"


def assert_two_apps_behind_the_edge(services: dict[str, Any]) -> None:
    app, edge = services["app"], services["edge"]
    assert app["deploy"]["replicas"] == 2
    assert "ports" not in app, "reachable only through the edge"
    # nginx resolves `app` to every replica's address and balances over them.
    assert "./nginx/skycache.conf:/etc/nginx/conf.d/default.conf:ro" in edge["volumes"]
    assert "server app:8000;" in (DEPLOY / "nginx" / "skycache.conf").read_text()
    assert edge["depends_on"]["app"]["condition"] == "service_healthy"


def assert_follows_the_compose_specification(compose_file: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    document = yaml.safe_load(compose_file.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
