"""The servers the Redis adapters' contract runs against: one Redis node, a Redis Cluster
(3 primaries, 3 replicas), a Redis primary found through its Sentinel (Sentinel mode), and
Valkey through the same adapters (skipped, saying why, where no valkey-server can be found).
A new mode is one more entry in both lists, with its client fixture (and `<mode>_lock`,
`<mode>_workers` in the lock and metrics suites)."""

from __future__ import annotations

import pytest

REDIS_SERVERS = [
    pytest.param("redis", marks=pytest.mark.integration),
    pytest.param("valkey", marks=pytest.mark.integration),
    pytest.param("sentinel", marks=pytest.mark.integration),
    pytest.param("cluster", marks=pytest.mark.integration),
]
# Their client fixtures.
REDIS_CLIENTS = {
    "redis": "redis_client",
    "valkey": "valkey_redis",
    "sentinel": "sentinel_redis",
    "cluster": "cluster_redis",
}
