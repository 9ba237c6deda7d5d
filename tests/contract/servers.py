"""The servers the Redis adapters' contract runs against: Redis, and Valkey through the
same adapters (skipped, saying why, where no valkey-server can be found)."""

from __future__ import annotations

import pytest

REDIS_SERVERS = [
    pytest.param("redis", marks=pytest.mark.integration),
    pytest.param("valkey", marks=pytest.mark.integration),
]
REDIS_CLIENTS = {"redis": "redis_client", "valkey": "valkey_redis"}  # their client fixtures
