"""A REDIS_URL database index the server does not have stops serve with one line saying so,
not "does not answer": Redis answered, with "ERR DB index is out of range"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis

from entrypoints import startup
from entrypoints.settings import Settings
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def serve(redis_url: str, backend: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "skycache", "serve", "--port", str(free_port())]
    env = {**os.environ, "REDIS_URL": redis_url, "SKYCACHE_CACHE": backend}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def with_database(redis_url: str, index: int) -> str:
    return redis_url.rsplit("/", 1)[0] + f"/{index}"


@pytest.fixture
def databases(redis_url: str) -> int:
    with Redis.from_url(redis_url) as client:
        return int(client.config_get("databases")["databases"])


@pytest.mark.parametrize("backend", ["redis", "auto"])
def test_an_index_past_the_servers_databases_is_one_line_saying_it_is_out_of_range(
    redis_url: str, databases: int, backend: str
) -> None:
    done = serve(with_database(redis_url, databases), backend)  # indexes run 0..databases-1
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert f"REDIS_URL: the database index {databases} is out of range" in lines[0]
    assert "does not answer" not in lines[0] and "NOT REACHABLE" not in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_the_last_index_the_server_has_passes_the_check(redis_url: str, databases: int) -> None:
    env = {"REDIS_URL": with_database(redis_url, databases - 1), "SKYCACHE_CACHE": "redis"}
    assert startup.check_backend(Settings.from_env(env)) == "redis"
