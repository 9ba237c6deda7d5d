"""The servers the Redis adapters' contract runs against: Redis, Valkey through the same
adapters (skipped, saying why, where no valkey-server can be found), and a Redis primary
found through its Sentinel (Sentinel mode)."""

from __future__ import annotations

import pytest

REDIS_SERVERS = [
    pytest.param("redis", marks=pytest.mark.integration),
    pytest.param("valkey", marks=pytest.mark.integration),
    pytest.param("sentinel", marks=pytest.mark.integration),
]
# Their client fixtures.
REDIS_CLIENTS = {"redis": "redis_client", "valkey": "valkey_redis", "sentinel": "sentinel_redis"}
