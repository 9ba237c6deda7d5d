"""deploy/docker-compose.yml: a valid Compose file, wired up as the quick start says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

from entrypoints.settings import Settings, documented_variables
from tests.deploy.recipe import (
    COMPOSE_FILE,
    DEPLOY,
    DOCKERFILE,
    ROOT,
    compose,
    environment,
    final_stage,
    lock_versions,
    with_defaults,
)

# Vendored from check-jsonschema 0.39.0 (builtin_schemas/vendor/compose-spec.json, Apache-2.0,
# see compose-spec.LICENSE): no network here to fetch it from the compose-spec repository.
SCHEMA = Path(__file__).with_name("compose-spec.json")

# Read by the image's CMD (`--workers ${SKYCACHE_WORKERS:-2}`), and by Settings.
IMAGE_VARIABLES = {"SKYCACHE_WORKERS"}
# Read by uvicorn itself: which peers' X-Forwarded-For to trust (the edge's).
UVICORN_VARIABLES = {"FORWARDED_ALLOW_IPS"}

# Named here, not read from the file, so a broken file fails tests instead of collection.
APPS = ["app", "app-2", "app-sim"]
LOCUSTS = ["loadtest", "locust", "locust-worker"]

# Locust patches the standard library with gevent when imported: parse its flags in a child.
PARSE_LOCUST_FLAGS = """
import sys
from locust.argument_parser import get_parser
get_parser().parse_args(sys.argv[1:])
"""


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = compose()["services"]
    return loaded


def _quick_start() -> set[str]:
    return {name for name, service in services().items() if not service.get("profiles")}


def _target(locust: str) -> str:
    command = services()[locust]["command"]
    return str(command[command.index("-H") + 1])


def test_the_file_has_no_version_key() -> None:
    assert "version" not in compose()


def test_the_file_validates_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_apps_and_locusts_are_the_services_named_above() -> None:
    assert sorted(n for n, s in services().items() if "build" in s) == APPS
    assert sorted(n for n, s in services().items() if "locust" in s.get("image", "")) == LOCUSTS


def test_the_apps_build_the_deploy_dockerfile_from_the_repo_root() -> None:
    for name in APPS:
        build = services()[name]["build"]
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
        assert ROOT / build["dockerfile"] == DOCKERFILE


@pytest.mark.parametrize("variable", sorted(IMAGE_VARIABLES))
def test_the_image_variables_are_read_by_the_dockerfile(variable: str) -> None:
    assert "${" + variable + ":-" in DOCKERFILE.read_text()


@pytest.mark.parametrize("name", APPS)
def test_every_app_variable_is_one_the_service_documents(name: str) -> None:
    unknown = set(environment(services()[name])) - set(documented_variables())
    unknown -= IMAGE_VARIABLES | UVICORN_VARIABLES
    assert not unknown, f"{name} sets variables the service never reads: {sorted(unknown)}"


@pytest.mark.parametrize(
    ("name", "provider"),
    [("app", "open-meteo"), ("app-2", "open-meteo"), ("app-sim", "simulated")],
)
def test_each_app_starts_with_valid_settings_on_redis(name: str, provider: str) -> None:
    settings = Settings.from_env(environment(services()[name]))
    assert (settings.weather_provider, settings.cache_backend) == (provider, "redis")
    assert urlparse(settings.redis_url).hostname == "redis"


def test_simulated_weather_never_shares_a_redis_database_with_real_weather() -> None:
    # Instances of one provider share a database (app and app-2 behind the edge); two
    # providers never do.
    providers_in: dict[str, set[str]] = {}
    for name in APPS:
        env = environment(services()[name])
        database = urlparse(env["REDIS_URL"]).path
        providers_in.setdefault(database, set()).add(env["WEATHER_PROVIDER"])
    assert all(len(found) == 1 for found in providers_in.values()), providers_in
    assert len(providers_in) == 2


def test_the_default_app_provider_can_be_switched_from_the_host() -> None:
    assert services()["app"]["environment"]["WEATHER_PROVIDER"] == "${WEATHER_PROVIDER:-open-meteo}"


@pytest.mark.parametrize("name", APPS)
def test_apps_wait_for_a_healthy_redis(name: str) -> None:
    assert services()[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_service_waited_on_for_health_has_a_healthcheck() -> None:
    image_checks = bool(final_stage().args_of("HEALTHCHECK"))
    for name, service in services().items():
        for needed, how in (service.get("depends_on") or {}).items():
            if how["condition"] == "service_healthy":
                target = services()[needed]
                has_check = "healthcheck" in target or (needed in APPS and image_checks)
                assert has_check and not target.get("healthcheck", {}).get("disable"), name


def test_redis_has_a_ping_healthcheck() -> None:
    redis = services()["redis"]
    assert redis["image"].startswith("redis:7")
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


@pytest.mark.parametrize("name", APPS)
def test_apps_get_longer_to_stop_than_the_cli_takes_to_drain(name: str) -> None:
    # entrypoints/cli.py gives uvicorn timeout_graceful_shutdown=10.
    assert int(services()[name]["stop_grace_period"].removesuffix("s")) > 10


def test_the_quick_start_brings_up_the_api_and_the_locust_ui() -> None:
    assert {"redis", "app", "edge", "locust", "locust-worker"} <= _quick_start()
    # The API is published through the nginx edge only (uvicorn has no header timeout).
    assert "8000:8080" in services()["edge"]["ports"]
    assert "ports" not in services()["app"]
    assert any(port.endswith("8089:8089") for port in services()["locust"]["ports"])
    assert _target("locust") == "http://app:8000"
    worker = services()["locust-worker"]["command"]
    assert worker[worker.index("--master-host") + 1] == "locust"


def test_the_loadtest_profile_targets_the_simulated_provider() -> None:
    loadtests = [name for name in LOCUSTS if "loadtest" in services()[name].get("profiles", [])]
    assert loadtests
    for name in loadtests:
        app = urlparse(_target(name)).hostname
        assert app in APPS and environment(services()[app])["WEATHER_PROVIDER"] == "simulated"
        assert "--headless" in services()[name]["command"]
        assert "--run-time" in services()[name]["command"], "a headless run must stop by itself"


def test_published_host_ports_do_not_collide() -> None:
    published = [p.split(":")[-2] for s in services().values() for p in s.get("ports", [])]
    assert len(published) == len(set(published))


@pytest.mark.parametrize("name", LOCUSTS)
def test_locust_runs_the_locked_release_on_the_deploy_locustfile(name: str) -> None:
    service = services()[name]
    locust = lock_versions("requirements-test.lock")["locust"]
    assert service["image"] == f"locustio/locust:{locust}"
    (volume,) = service["volumes"]
    source, target, *_ = volume.split(":")
    assert (DEPLOY / source).resolve() == DEPLOY / "locustfile.py"
    assert service["command"][:2] == ["-f", target]


@pytest.mark.parametrize("name", LOCUSTS)
def test_locust_accepts_every_flag_its_service_passes(name: str) -> None:
    flags = [with_defaults(str(word)) for word in services()[name]["command"]]
    parse = [sys.executable, "-c", PARSE_LOCUST_FLAGS, *flags]
    run = subprocess.run(parse, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_the_mounted_locustfile_exists() -> None:
    # A bind mount of a missing file makes docker create an empty directory in its place.
    assert (DEPLOY / "locustfile.py").is_file()


def test_the_edge_serves_the_nginx_config_the_tests_run_in_front_of_the_app() -> None:
    edge = services()["edge"]
    assert edge["image"].startswith("nginx:")
    mount = "./nginx/skycache.conf:/etc/nginx/conf.d/default.conf:ro"
    assert mount in edge["volumes"]
    assert (DEPLOY / "nginx" / "skycache.conf").is_file()
    assert edge["depends_on"]["app"]["condition"] == "service_healthy"
    assert "server app:8000;" in (DEPLOY / "nginx" / "skycache.conf").read_text()
