"""For the contract suites: one fake clock a test, the way to let time pass, and the
backend an adapter runs on (memory, or a client on each Redis server of servers.py)."""

from __future__ import annotations

import pytest

from adapters.redis.topology import RedisClient
from tests.contract.elapse import Elapse, elapse_for
from tests.contract.servers import REDIS_CLIENTS, REDIS_SERVERS
from tests.unit.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def elapse(request: pytest.FixtureRequest, clock: FakeClock) -> Elapse:
    return elapse_for(request, clock)


@pytest.fixture(params=["memory", *REDIS_SERVERS])
def shared_redis(request: pytest.FixtureRequest) -> RedisClient | None:
    """None for the in-memory adapter; else a client on the server the param names."""
    if request.param == "memory":
        return None
    client: RedisClient = request.getfixturevalue(REDIS_CLIENTS[request.param])
    return client
