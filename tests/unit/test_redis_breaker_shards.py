"""RedisBreaker on a cluster: a city's calls use its shard's circuit, so one failing shard
does not turn the others away."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.redis.breaker import RedisBreaker
from domain.model.errors import CacheUnavailable
from tests.unit.fakes import FakeClock

SHARDS = {"boise": "node-a:7000", "denver": "node-b:7001", "austin": "node-a:7000"}


class Cluster:
    """Which shard serves each city, which shards are down, and the calls that got through."""

    def __init__(self) -> None:
        self.owner = dict(SHARDS)
        self.down: set[str] = set()
        self.calls = 0

    def shard_of(self, key: str) -> str | None:
        return self.owner.get(key)

    def get(self, breaker: RedisBreaker, city: str | None) -> str:
        try:
            with breaker.call("GET", city):
                self.calls += 1
                if self.owner.get(city or "", "") in self.down:
                    raise RedisConnectionError("refused")
                return "value"
        except CacheUnavailable:
            return "unavailable"


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


@pytest.fixture
def breaker(cluster: Cluster) -> RedisBreaker:
    return RedisBreaker(failures=3, cooldown_s=1.0, clock=FakeClock(0.0), shard_of=cluster.shard_of)


def test_a_failing_shard_turns_away_its_own_cities_only(
    cluster: Cluster, breaker: RedisBreaker
) -> None:
    cluster.down.add("node-a:7000")
    assert [cluster.get(breaker, "boise") for _ in range(5)] == ["unavailable"] * 5
    assert cluster.calls == 3  # then its circuit is open: no more I/O to node-a
    assert cluster.get(breaker, "austin") == "unavailable"  # same shard, same circuit
    assert cluster.calls == 3
    assert cluster.get(breaker, "denver") == "value"
    assert cluster.get(breaker, None) == "value"  # counters and budgets: the process circuit
    assert not breaker.is_open


def test_a_city_moved_to_a_new_primary_is_asked_at_once(
    cluster: Cluster, breaker: RedisBreaker
) -> None:
    cluster.down.add("node-a:7000")
    for _ in range(3):
        cluster.get(breaker, "boise")
    cluster.owner["boise"] = "node-c:7002"  # the replica was promoted
    assert cluster.get(breaker, "boise") == "value"


def test_a_city_whose_shard_is_unknown_uses_the_process_circuit(
    cluster: Cluster, breaker: RedisBreaker
) -> None:
    cluster.down.add("")  # what an unknown city's call fails on here
    for _ in range(3):
        assert cluster.get(breaker, "nowhere") == "unavailable"
    assert breaker.is_open
    assert cluster.get(breaker, "denver") == "value"


def test_a_successful_ping_closes_every_circuit(cluster: Cluster, breaker: RedisBreaker) -> None:
    cluster.down.add("node-a:7000")
    for _ in range(3):
        cluster.get(breaker, "boise")
    cluster.down.clear()
    breaker.succeeded()
    assert cluster.get(breaker, "boise") == "value"


def test_without_shards_every_call_shares_one_circuit(cluster: Cluster) -> None:
    breaker = RedisBreaker(failures=3, cooldown_s=1.0, clock=FakeClock(0.0))
    cluster.down.add("node-a:7000")
    for _ in range(3):
        cluster.get(breaker, "boise")
    assert breaker.is_open
    assert cluster.get(breaker, "denver") == "unavailable"
