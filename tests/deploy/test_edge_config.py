"""deploy/edge/nginx.conf and `skycache edge-config`: the shipped file is the command's output,
nginx accepts it, and the compose profile `edge` runs it in front of its two instances."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.edge.nginx_config import parse_address, render
from tests.deploy.recipe import DEPLOY, compose
from tests.support.edge import edge_config, nginx_binary

SHIPPED = DEPLOY / "edge" / "nginx.conf"
# What deploy/docker-compose.yml's header and the README say produced the file.
COMPOSE_ARGS = ("0.0.0.0:8080", ["app:8000", "app-2:8000"], Path("/var/cache/skycache-edge"))


def _shipped_render() -> str:
    listen, instances, state = COMPOSE_ARGS
    return render(parse_address(listen), [parse_address(i) for i in instances], state)


def test_the_shipped_file_is_exactly_what_the_command_prints_for_compose() -> None:
    assert SHIPPED.read_text() == _shipped_render(), (
        "deploy/edge/nginx.conf was edited by hand: regenerate it with the command in its header"
    )


def _nginx_checks(config: Path, state: Path) -> None:
    """The command's output for `state`, written to `config`, passes `nginx -t`."""
    config.write_text(edge_config("127.0.0.1:18080", ["127.0.0.1:18001"], state))
    checked = subprocess.run(
        [nginx_binary(), "-t", "-p", str(state), "-c", str(config), "-g", "daemon off;"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_nginx_accepts_the_commands_output_as_it_is(tmp_path: Path) -> None:
    _nginx_checks(tmp_path / "nginx.conf", tmp_path)
    assert (tmp_path / "logs").is_dir() and (tmp_path / "temp" / "proxy").is_dir()


def test_a_state_directory_with_spaces_is_quoted_and_nginx_runs_on_it(tmp_path: Path) -> None:
    state = tmp_path / "edge state" / "two  spaces"
    config = tmp_path / "nginx.conf"
    _nginx_checks(config, state)
    assert f'pid "{state}/nginx.pid";' in config.read_text()
    assert (state / "logs" / "error.log").is_file()  # nginx opened the quoted path itself


@pytest.mark.parametrize(
    ("directory", "complaint"),
    [
        ("/srv/edge;\nuser root", "control character"),
        ("/srv/edge\rx", "control character"),
        ("/srv/edge; include /etc/shadow", "may not contain"),
        ("/srv/edge}", "may not contain"),
        ("/srv/{edge", "may not contain"),
        ('/srv/"edge', "may not contain"),
        ("/srv/'edge", "may not contain"),
        ("/srv/ed\\ge", "may not contain"),
        ("/srv/$edge", "may not contain"),
    ],
)
def test_a_state_directory_nginx_would_misread_is_refused_in_one_line(
    tmp_path: Path, directory: str, complaint: str
) -> None:
    where = tmp_path / directory.lstrip("/")
    command = [sys.executable, "-m", "skycache", "edge-config"]
    command += ["--listen", "127.0.0.1:8080", "--instance", "127.0.0.1:8000", "--dir", str(where)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith("skycache edge-config: error: argument --dir") and complaint in last
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing made
    with pytest.raises(ValueError, match=complaint):
        render(parse_address("127.0.0.1:8080"), [parse_address("127.0.0.1:8000")], where)


def test_only_weather_and_the_gateway_are_cached_and_freshness_comes_from_skycaches_headers() -> (
    None
):
    text = _shipped_render()
    cached = re.findall(r"location = (\S+) \{[^}]*proxy_cache skycache_edge;", text)
    gateway = ["/v1/forecast", "/v1/air-quality", "/v1/archive"]
    assert cached == ["/weather", "/weather/batch", *gateway]
    assert "proxy_cache_valid" not in text  # no edge-side freshness rule
    assert re.search(r"location / \{\s*proxy_pass http://skycache;\s*\}", text)


@pytest.mark.parametrize(
    ("argument", "value", "complaint"),
    [
        ("--listen", "8080", "is not HOST:PORT"),
        ("--listen", "127.0.0.1:99999", "port must be 1 to 65535"),
        ("--instance", "app;evil:8000", "not a host name or address"),
    ],
)
def test_a_bad_address_is_a_one_line_usage_error(
    tmp_path: Path, argument: str, value: str, complaint: str
) -> None:
    args = {"--listen": "127.0.0.1:8080", "--instance": "127.0.0.1:8000"} | {argument: value}
    command = [sys.executable, "-m", "skycache", "edge-config", "--dir", str(tmp_path)]
    for name, given in args.items():
        command += [name, given]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    assert complaint in result.stderr.splitlines()[-1]
    assert result.stdout == ""


def test_the_compose_edge_profile_runs_the_shipped_file_in_front_of_its_instances() -> None:
    services = compose()["services"]
    edge = services["edge-cache"]
    assert edge["profiles"] == ["edge"]
    assert "./edge/nginx.conf:/etc/nginx/skycache-edge.conf:ro" in edge["volumes"]
    listen, instances, state = COMPOSE_ARGS
    assert f"-p {state} -c /etc/nginx/skycache-edge.conf" in edge["entrypoint"][-1]
    assert edge["ports"] == [f"8002:{parse_address(listen).port}"]
    for instance in instances:
        name = instance.split(":")[0]
        assert name in services, instance
        assert edge["depends_on"][name] == {"condition": "service_healthy"}
