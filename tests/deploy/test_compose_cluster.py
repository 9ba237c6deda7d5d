"""deploy/compose.cluster.yaml: a valid Compose file whose apps use a Redis Cluster, whose
nodes' config runs on a real redis-server and whose init script joins six of them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from redis import Redis
from redis.asyncio.cluster import RedisCluster

from adapters.redis.client import create_redis_client
from adapters.redis.keys import weather_key
from adapters.redis.topology import RedisTopology
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

COMPOSE_FILE = DEPLOY / "compose.cluster.yaml"
NODE_CONF = DEPLOY / "redis" / "cluster-node.conf"
NODES = [f"redis-{n}" for n in range(1, 7)]
INIT = "redis-cluster-init"
CREATE = "redis-cli --cluster create $$CLUSTER_NODES --cluster-replicas 1 --cluster-yes"
# Locally every node announces this name, which resolves to loopback as the service
# names resolve inside the compose network.
LOCAL_NAME = "localhost"


def services() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    found: dict[str, Any] = loaded["services"]
    return found


def init_script() -> str:
    """The init service's script as its shell gets it: compose turns `$$` into `$`."""
    command = services()[INIT]["command"]
    assert command[:2] == ["sh", "-c"]
    script: str = command[2]
    return script.replace("$$", "$")


def test_the_file_validates_against_the_compose_specification() -> None:
    assert_follows_the_compose_specification(COMPOSE_FILE)


def test_the_app_runs_in_cluster_mode_on_every_node() -> None:
    settings = Settings.from_env(environment(services()["app"]))
    assert redis_topology(settings).mode == "cluster"
    assert settings.redis_cluster_nodes == tuple((node, 6379) for node in NODES)
    assert settings.redis_url == "redis://redis-1:6379/0"
    assert settings.cache_backend == "redis"


def test_every_app_variable_is_one_the_service_documents() -> None:
    assert_the_app_sets_only_what_it_reads(services())


def test_two_app_instances_sit_behind_the_edge_once_the_cluster_is_joined() -> None:
    assert_two_apps_behind_the_edge(services())
    assert services()["app"]["depends_on"] == {
        INIT: {"condition": "service_completed_successfully"}
    }


def test_six_nodes_run_the_shared_config_and_announce_their_service_names() -> None:
    assert [name for name in services() if name.startswith("redis-") and name != INIT] == NODES
    for name in NODES:
        node = services()[name]
        assert node["image"] == "redis:7-alpine"
        assert "./redis/cluster-node.conf:/etc/redis/cluster-node.conf:ro" in node["volumes"]
        assert node["command"] == [
            "redis-server",
            "/etc/redis/cluster-node.conf",
            "--cluster-announce-hostname",
            name,
        ]
        assert "PONG" in node["healthcheck"]["test"][-1]
    settings = dict(line.split(maxsplit=1) for line in config_lines())
    assert settings["cluster-enabled"] == "yes"
    assert settings["cluster-preferred-endpoint-type"] == "hostname"
    assert settings["port"] == "6379"


def config_lines() -> list[str]:
    lines = (line.strip() for line in NODE_CONF.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_init_service_joins_every_node_once_they_are_healthy() -> None:
    init = services()[INIT]
    assert init["environment"]["CLUSTER_NODES"].split() == [f"{node}:6379" for node in NODES]
    assert init["depends_on"] == {node: {"condition": "service_healthy"} for node in NODES}
    assert init["restart"] == "no"
    assert CREATE in init["command"][2]


def six_nodes() -> list[LocalRedisServer]:
    """Six redis-server processes with the deployed node config (not started), as
    LocalRedisCluster has them but not joined: the script under test does that."""
    return [
        LocalRedisServer(
            config_file=str(NODE_CONF),
            extra_args=[
                *("--cluster-port", str(free_port())),
                *("--cluster-announce-hostname", LOCAL_NAME),
            ],
        )
        for _ in NODES
    ]


@pytest.fixture
def nodes() -> Iterator[list[LocalRedisServer]]:
    servers = six_nodes()
    try:
        yield servers
    finally:
        for server in servers:
            server.close()


def init_process(nodes: list[LocalRedisServer]) -> subprocess.Popen[str]:
    addresses = " ".join(f"{LOCAL_NAME}:{node.port}" for node in nodes)
    return subprocess.Popen(
        ["sh", "-c", init_script()],
        env={**os.environ, "CLUSTER_NODES": addresses},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_init(nodes: list[LocalRedisServer]) -> tuple[int, str]:
    """The script's exit code and its output."""
    process = init_process(nodes)
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


Endpoint = tuple[str, int]
SlotRange = tuple[int, int, Endpoint, list[Endpoint]]


def slot_map(port: int) -> list[SlotRange]:
    """(first slot, last slot, primary's endpoint, replicas' endpoints) per range."""
    with Redis(port=port, decode_responses=True) as client:
        ranges = client.execute_command("CLUSTER SLOTS")
    return sorted(
        (r[0], r[1], (r[2][0], r[2][1]), [(node[0], node[1]) for node in r[3:]]) for r in ranges
    )


def replicated_slot_map(port: int, timeout_s: float = 20.0) -> list[SlotRange]:
    """The slot map once it names every replica: the primaries learn of their replicas
    through gossip, a moment after the cluster says it is ok."""
    deadline = time.monotonic() + timeout_s
    while True:
        ranges = slot_map(port)
        if all(replicas for *_, replicas in ranges) or time.monotonic() > deadline:
            return ranges
        time.sleep(0.1)


def node_ids(nodes: list[LocalRedisServer]) -> list[str]:
    ids = []
    for node in nodes:
        with Redis(port=node.port, decode_responses=True) as client:
            ids.append(str(client.execute_command("CLUSTER MYID")))
    return ids


@pytest.mark.integration
async def test_the_init_script_waits_for_the_nodes_then_joins_them_into_three_shards_by_name(
    nodes: list[LocalRedisServer],
) -> None:
    process = init_process(nodes)
    await asyncio.sleep(1.5)  # the script is asking nodes that are not there yet
    assert process.poll() is None, "it waits for every node to answer"
    for node in nodes:
        node.start()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err + out
    ranges = replicated_slot_map(nodes[0].port)
    assert len(ranges) == 3
    assert sum(last - first + 1 for first, last, _, _ in ranges) == 16384
    ports = {node.port for node in nodes}
    for _, _, (host, port), replicas in ranges:
        assert host == LOCAL_NAME, "clients are sent to the announced name"
        assert [name for name, _ in replicas] == [LOCAL_NAME]
        ports -= {port, *(port for _, port in replicas)}
    assert not ports, "every node is a primary or a primary's replica"
    # The app's own client, from the app's settings with the names pointed at loopback.
    port = nodes[0].port
    topology = RedisTopology(f"redis://{LOCAL_NAME}:{port}/0", cluster_nodes=((LOCAL_NAME, port),))
    client = create_redis_client(topology, timeout_s=2.0, connect_timeout_s=2.0)
    assert isinstance(client, RedisCluster)
    try:
        cities = [f"town {n}" for n in range(30)]
        for city in cities:
            await client.set(weather_key(city), city)
        assert [await client.get(weather_key(city)) for city in cities] == [
            city.encode() for city in cities
        ]
        owners = [client.get_node_from_key(weather_key(city)) for city in cities]
        shards = {owner.port for owner in owners if owner is not None}
        assert len(shards) == 3, "30 cities land on every primary"
    finally:
        await client.aclose()


@pytest.mark.integration
def test_after_the_nodes_restart_the_init_script_leaves_the_cluster_as_it_is(
    nodes: list[LocalRedisServer],
) -> None:
    for node in nodes:
        node.start()
    assert run_init(nodes)[0] == 0
    before, ids = replicated_slot_map(nodes[0].port), node_ids(nodes)
    for node in nodes:
        node.restart()  # its nodes.conf stays in its directory, as on a container's volume
    code, output = run_init(nodes)
    assert code == 0, output
    assert "The cluster exists already." in output
    assert node_ids(nodes) == ids
    assert replicated_slot_map(nodes[0].port) == before
