"""deploy/compose.sentinel.yaml: a valid Compose file whose apps find Redis through its
Sentinels, and whose Sentinel config runs on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis import Redis

from entrypoints.settings import Settings
from entrypoints.wiring.storage import redis_topology
from tests.deploy.recipe import DEPLOY, environment
from tests.deploy.scaled_app import (
    assert_follows_the_compose_specification,
    assert_the_app_sets_only_what_it_reads,
    assert_two_apps_behind_the_edge,
)
from tests.support.ports import free_port
from tests.support.redis_server import LocalRedisServer

COMPOSE_FILE = DEPLOY / "compose.sentinel.yaml"
SENTINEL_CONF = DEPLOY / "redis" / "sentinel.conf"
SENTINELS = ["sentinel-1", "sentinel-2", "sentinel-3"]


def services() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    found: dict[str, Any] = loaded["services"]
    return found


def monitor_line() -> list[str]:
    lines = [line.split() for line in SENTINEL_CONF.read_text().splitlines()]
    (monitor,) = [words for words in lines if words[:2] == ["sentinel", "monitor"]]
    return monitor  # sentinel monitor <name> <host> <port> <quorum>


def test_the_file_validates_against_the_compose_specification() -> None:
    assert_follows_the_compose_specification(COMPOSE_FILE)


def test_the_app_finds_the_primary_through_every_sentinel() -> None:
    settings = Settings.from_env(environment(services()["app"]))
    _, _, name, host, port, _ = monitor_line()
    assert redis_topology(settings).mode == "sentinel"
    assert settings.redis_sentinels == tuple((s, 26379) for s in SENTINELS)
    assert settings.redis_sentinel_master == name
    assert (host, port) == ("redis-primary", "6379")
    assert settings.cache_backend == "redis"


def test_every_app_variable_is_one_the_service_documents() -> None:
    assert_the_app_sets_only_what_it_reads(services())


def test_two_app_instances_sit_behind_the_edge() -> None:
    assert_two_apps_behind_the_edge(services())


def test_a_majority_of_three_sentinels_decides_a_failover() -> None:
    quorum = int(monitor_line()[-1])
    assert [name for name in services() if name.startswith("sentinel")] == SENTINELS
    assert quorum == len(SENTINELS) // 2 + 1
    for name in SENTINELS:
        sentinel = services()[name]
        assert "./redis/sentinel.conf:/etc/redis/sentinel.conf:ro" in sentinel["volumes"]
        # Sentinel rewrites its config: it runs a writable copy, not the read-only mount.
        assert "redis-server /data/sentinel.conf --sentinel" in sentinel["command"][-1]


def test_the_replica_follows_the_primary_and_both_announce_their_service_names() -> None:
    primary = services()["redis-primary"]["command"]
    replica = services()["redis-replica"]["command"]
    assert replica[replica.index("--replicaof") + 1 :][:2] == ["redis-primary", "6379"]
    for name, command in (("redis-primary", primary), ("redis-replica", replica)):
        assert command[command.index("--replica-announce-ip") + 1] == name


@pytest.fixture
def primary() -> Iterator[LocalRedisServer]:
    with LocalRedisServer() as server:
        yield server


@pytest.mark.integration
def test_the_sentinel_config_runs_on_redis_server_and_finds_the_primary(
    primary: LocalRedisServer, tmp_path: Path
) -> None:
    """The deployed file, with the primary's name and the ports pointed at loopback."""
    text = SENTINEL_CONF.read_text()
    port = free_port()
    for old, new in [
        ("redis-primary 6379", f"127.0.0.1 {primary.port}"),
        ("port 26379", f"port {port}"),
    ]:
        assert old in text, f"{SENTINEL_CONF.name} no longer says {old!r}: update this test"
        text = text.replace(old, new)
    config = tmp_path / "sentinel.conf"
    config.write_text(text)
    sentinel = LocalRedisServer(port, config_file=str(config), extra_args=["--sentinel"])
    with sentinel, Redis(port=port, decode_responses=True) as client:
        name = monitor_line()[2]
        assert client.sentinel_get_master_addr_by_name(name) == ("127.0.0.1", primary.port)
        assert client.sentinel_master(name)["quorum"] == int(monitor_line()[-1])
