"""The cluster client takes REDIS_URL's user, password and TLS, and the service's limits."""

from __future__ import annotations

from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import SSLConnection

from adapters.redis.client import create_redis_client
from adapters.redis.topology import RedisTopology

URL = "rediss://app:s3cret@ignored:6379/0?ssl_cert_reqs=none"


def test_a_cluster_topology_opens_a_cluster_client_with_the_urls_credentials_and_tls() -> None:
    nodes = (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    client = create_redis_client(RedisTopology(URL, cluster_nodes=nodes), max_connections=7)
    assert isinstance(client, RedisCluster)
    options = client.get_connection_kwargs()
    assert (options["username"], options["password"]) == ("app", "s3cret")
    assert options["connection_class"] is SSLConnection
    assert options["ssl_cert_reqs"] == "none"
    assert options["max_connections"] == 7  # per node
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (0.25, 0.2)
    assert set(client.nodes_manager.startup_nodes) == {"10.0.0.1:7000", "10.0.0.2:7001"}


def test_a_url_alone_still_opens_one_nodes_client() -> None:
    client = create_redis_client("redis://localhost:6379/3")
    assert not isinstance(client, RedisCluster)
    assert client.connection_pool.connection_kwargs["db"] == 3
