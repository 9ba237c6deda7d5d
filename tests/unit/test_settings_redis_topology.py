"""REDIS_CLUSTER_NODES: read into host and port pairs, refused in one line when malformed."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.storage import redis_topology


def test_without_cluster_nodes_the_url_names_one_node() -> None:
    topology = redis_topology(Settings.from_env({"REDIS_URL": "redis://cache:6379/2"}))
    assert topology.mode == "single"
    assert topology.url == "redis://cache:6379/2"


def test_cluster_nodes_are_read_as_host_and_port_pairs() -> None:
    env = {"REDIS_CLUSTER_NODES": "10.0.0.1:7000, redis-b:7001,[::1]:7002"}
    settings = Settings.from_env(env)
    assert settings.redis_cluster_nodes == (("10.0.0.1", 7000), ("redis-b", 7001), ("::1", 7002))
    assert redis_topology(settings).mode == "cluster"


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"REDIS_CLUSTER_NODES": "redis-a"}, "'redis-a' is not host:port"),
        ({"REDIS_CLUSTER_NODES": "redis-a:7000,:7001"}, "':7001' is not host:port"),
        ({"REDIS_CLUSTER_NODES": "redis-a:port"}, "is not host:port"),
        ({"REDIS_CLUSTER_NODES": "redis-a:70000"}, "is not host:port"),
        ({"REDIS_CLUSTER_NODES": "a:7000,"}, "'' is not host:port"),
        (
            {"REDIS_CLUSTER_NODES": "a:7000", "REDIS_URL": "redis://a:7000/3"},
            "a cluster has only database 0",
        ),
    ],
)
def test_a_bad_cluster_setting_is_one_line_naming_the_variable(
    env: dict[str, str], why: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    message = str(refused.value)
    assert message.startswith("REDIS_CLUSTER_NODES")
    assert why in message
    assert "\n" not in message
