"""The CLI explains itself: help with defaults, checked arguments, and `skycache config`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.cli import DEFAULT_WORKERS, build_parser
from entrypoints.settings import documented_variables
from entrypoints.startup import check_port_free
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "owm-Zq8-unit-secret"
SECRET_PASSWORD = "redis-Pw-unit-secret"


def skycache(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # A clean environment: the variables the runner's shell may set would change the sources.
    base = {k: v for k, v in os.environ.items() if k not in documented_variables()}
    return subprocess.run(
        [sys.executable, "-m", "skycache", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_help_gives_each_option_a_description_and_its_default() -> None:
    help_text = " ".join(skycache("serve", "--help").stdout.split())
    assert "address to listen on (default: 127.0.0.1)" in help_text
    assert "TCP port to listen on (default: 8000)" in help_text
    assert f"(default: {DEFAULT_WORKERS})" in help_text


def test_serve_help_points_to_the_environment_variables_and_skycache_config() -> None:
    help_text = " ".join(skycache("serve", "--help").stdout.split())
    assert "environment variables" in help_text
    assert "`skycache config`" in help_text


def test_make_run_and_the_cli_default_to_the_same_number_of_workers() -> None:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^WORKERS \?= (\d+)$", makefile, re.MULTILINE)
    assert match is not None
    assert int(match[1]) == DEFAULT_WORKERS == build_parser().parse_args(["serve"]).workers


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["serve", "--workers", "0"], "argument --workers: 0 is not a worker count (1 to 512)"),
        (["serve", "--workers", "-3"], "argument --workers: -3 is not a worker count (1 to 512)"),
        (["serve", "--workers", "two"], "argument --workers: 'two' is not a whole number"),
        (["serve", "--port", "0"], "argument --port: 0 is not a port (1 to 65535)"),
        (["serve", "--port", "65536"], "argument --port: 65536 is not a port (1 to 65535)"),
        (["k8s-manifests", "--namespace", "Bad_NS"], "--namespace 'Bad_NS'"),
        (
            ["k8s-manifests", "--replicas", "5", "--max-replicas", "3"],
            "--max-replicas 3 is below --replicas",
        ),
        (["k8s-manifests", "--replicas", "0"], "not a whole number 1 to 1000"),
        (
            ["k8s-manifests", "--redis-url", "redis://:hunter2@redis:6379/0"],
            "the password goes in the Secret",
        ),
        (["k8s-manifests", "--redis-url", "http://redis"], "REDIS_URL"),
        (
            ["k8s-manifests", "--redis-sentinels", "a:1", "--redis-cluster-nodes", "b:2"],
            "set one, not both",
        ),
        (["k8s-manifests", "--env", "ADMIN_TOKEN=x"], "ADMIN_TOKEN is a secret"),
        (["k8s-manifests", "--env", "OPENWEATHER_API_KEY=x"], "OPENWEATHER_API_KEY is a secret"),
        (["k8s-manifests", "--env", "NOPE=1"], "NOPE is not a Skycache setting"),
        (["k8s-manifests", "--env", "WEATHER_TTL=abc"], "WEATHER_TTL"),
    ],
)
def test_a_bad_option_is_refused_in_one_line_and_prints_nothing(
    args: list[str], complaint: str
) -> None:
    """Whichever command: exit 2, the complaint on stderr's last line, no traceback, no
    secret echoed, nothing on stdout (where a manifest or a setting would go)."""
    done = skycache(*args)
    assert done.returncode == 2
    assert complaint in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr
    assert done.stdout == ""


def test_config_prints_every_setting_with_its_value_and_source() -> None:
    done = skycache("config", env={"WEATHER_TTL": "60", "LOG_LEVEL": "  "})
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:]}
    assert set(rows) == set(documented_variables())
    assert rows["WEATHER_TTL"][1:] == ["60", "env"]
    assert rows["WEATHER_STALE_TTL"][1:] == ["86400", "default"]
    # A blank variable counts as unset, as every setting reads it.
    assert rows["LOG_LEVEL"][1:] == ["info", "default"]


def test_config_shows_what_an_unset_upstream_budget_means_in_force() -> None:
    providers = {"WEATHER_PROVIDER": "open-meteo,openweathermap", "OPENWEATHER_API_KEY": "k" * 32}
    done = skycache("config", "--json", env=providers)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    minute, month = config["UPSTREAM_MAX_PER_MINUTE"], config["UPSTREAM_MAX_PER_MONTH"]
    assert minute == {"value": "open-meteo 600, openweathermap 60 (free tier)", "source": "default"}
    assert month["value"] == "open-meteo unlimited, openweathermap 1000000 (free tier)"
    assert config["UPSTREAM_MISSES_PER_CLIENT"]["value"] == "60/minute"
    set_to_zero = skycache("config", "--json", env={"UPSTREAM_MAX_PER_DAY": "0"})
    assert json.loads(set_to_zero.stdout)["UPSTREAM_MAX_PER_DAY"] == {"value": 0, "source": "env"}


def test_config_masks_secrets_and_the_credentials_in_urls() -> None:
    env = {
        "WEATHER_PROVIDER": "open-meteo,openweathermap",
        "OPENWEATHER_API_KEY": SECRET_KEY,
        "REDIS_URL": f"redis://app:{SECRET_PASSWORD}@127.0.0.1:6379/3",
    }
    for args in (["config"], ["config", "--json"]):
        done = skycache(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert SECRET_KEY not in done.stdout and SECRET_PASSWORD not in done.stdout
    config = json.loads(done.stdout)
    assert config["OPENWEATHER_API_KEY"] == {"value": "***", "source": "env"}
    assert config["REDIS_URL"] == {"value": "redis://app:***@127.0.0.1:6379/3", "source": "env"}
    assert config["WEATHER_TTL"] == {"value": 300.0, "source": "default"}
    assert set(config) == set(documented_variables())


def test_config_with_a_bad_variable_says_which_in_one_line() -> None:
    done = skycache("config", env={"REDIS_URL": f"redis://:{SECRET_PASSWORD}@/0"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "REDIS_URL" in done.stderr
    assert SECRET_PASSWORD not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_busy_port_stops_serve_with_one_line_naming_host_and_port(
    workers: str, redis_url: str
) -> None:
    # On Redis, so that two workers stay two (uvicorn then binds in its parent process).
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        env = {"REDIS_URL": redis_url, "SKYCACHE_CACHE": "redis"}
        done = skycache("serve", "--port", str(port), "--workers", workers, env=env)
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1]
    assert last == f"skycache: cannot start: cannot listen on 127.0.0.1:{port}: " + (
        "Address already in use"
    )
    assert "Traceback" not in done.stderr


def test_a_free_port_passes_the_check() -> None:
    check_port_free("127.0.0.1", free_port())
